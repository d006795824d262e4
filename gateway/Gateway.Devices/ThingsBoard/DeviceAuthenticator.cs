using System.Collections.Concurrent;
using Gateway.Domain;
using Gateway.Storage.Devices;
using Gateway.Storage.Outbox;
using Microsoft.Extensions.Logging;

namespace Gateway.Devices.ThingsBoard;

/// <summary>
/// Access token → device (thingsboard.md §2.4: unknown token → 4.01, the same answer whether or not
/// a device by that name exists), with the per-source failure limit of reliability.md §2.4, and the
/// device's first contact turned into a DeviceConnect outbox row so the bridge sends
/// <c>v1/gateway/connect</c> (thingsboard.md §4.5: only connected sub-devices get downlinks).
/// Tokens are only held in memory (a short lookup cache) and never logged.
/// </summary>
public sealed class DeviceAuthenticator
{
    private static readonly TimeSpan CacheLifetime = TimeSpan.FromSeconds(30);
    private const int CacheCapacity = 10_000;
    private const int MaxTokenLength = 256;

    private readonly IDeviceStore _devices;
    private readonly IOutbox _outbox;
    private readonly AuthFailureLimiter _limiter;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly ConcurrentDictionary<string, (DeviceRecord Device, long Expires)> _cache = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, (DeviceRecord Device, long Expires)> _sessionDevices = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, bool> _connected = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, Lazy<Task<DeviceApiResult?>>> _connecting = new(StringComparer.Ordinal);

    public DeviceAuthenticator(IDeviceStore devices, IOutbox outbox, AuthFailureLimiter limiter, TimeProvider time, ILogger<DeviceAuthenticator> logger)
    {
        _devices = devices;
        _outbox = outbox;
        _limiter = limiter;
        _time = time;
        _logger = logger;
    }

    public AuthFailureLimiter Limiter => _limiter;

    /// <summary>Finds the device and makes sure the cloud has been told it is connected.</summary>
    public async ValueTask<AuthenticatedDevice> AuthenticateAsync(string token, DeviceRequestContext context, CancellationToken cancellationToken)
    {
        DeviceRecord? device;
        if (context.SessionDevice is { } sessionDevice)
        {
            // The DTLS session authenticated the device (issue 16), so this is no guess and the failure limiter
            // stays out of it: a token-less URI acts for the session's device, and a token in the URI is
            // accepted only if it is that device's own.
            device = token.Length == 0
                ? await FindSessionDeviceAsync(sessionDevice, cancellationToken).ConfigureAwait(false)
                : await FindAsync(token, cancellationToken).ConfigureAwait(false) is { } byToken && byToken.Name == sessionDevice ? byToken : null;
            if (device is null) return new(null, DeviceApiResult.Unauthorized);
            return await ConnectedAsync(device, cancellationToken).ConfigureAwait(false);
        }
        // Decided from memory before any lookup: a limited address gets lookups only for credentials that
        // authenticated from it before (its valid devices behind a NAT) and a small budget of others.
        if (!_limiter.Admit(context.Source, token)) return new(null, DeviceApiResult.Silent);
        device = await FindAsync(token, cancellationToken).ConfigureAwait(false);
        if (device is null) return new(null, Failure(context.Source));
        _limiter.RecordSuccess(context.Source, token);
        return await ConnectedAsync(device, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// The device of an observe relation restored after a restart (stored by device name, never by
    /// token): found by name and connected upstream like on a live contact; Unauthorized once the
    /// device is gone (the relation is then not restored).
    /// </summary>
    public async ValueTask<AuthenticatedDevice> AuthenticateRestoredAsync(string deviceName, CancellationToken cancellationToken)
    {
        var device = await _devices.FindByNameAsync(deviceName, cancellationToken).ConfigureAwait(false);
        if (device is null) return new(null, DeviceApiResult.Unauthorized);
        return await ConnectedAsync(device, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The device, after making sure the cloud has been told it is connected (its first contact in this process).</summary>
    private ValueTask<AuthenticatedDevice> ConnectedAsync(DeviceRecord device, CancellationToken cancellationToken) =>
        // Every request after the first: nothing allocated (the first's closure over the device stays in its own method).
        _connected.ContainsKey(device.Name) ? new(new AuthenticatedDevice(device, null)) : ConnectFirstAsync(device, cancellationToken);

    private async ValueTask<AuthenticatedDevice> ConnectFirstAsync(DeviceRecord device, CancellationToken cancellationToken)
    {
        // First requests of one device arriving together share one connect row: one announcement per session.
        // The shared enqueue is not cancelled by whichever request started it.
        var pending = _connecting.GetOrAdd(device.Name, _ => new Lazy<Task<DeviceApiResult?>>(() => ConnectAsync(device, CancellationToken.None).AsTask()));
        DeviceApiResult? refused;
        try
        {
            refused = await pending.Value.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            // Done either way: connected (remembered in _connected) or refused (the next request tries again).
            if (pending.Value.IsCompleted) _connecting.TryRemove(KeyValuePair.Create(device.Name, pending));
        }
        return refused is null ? new(device, null) : new(null, refused);
    }

    /// <summary>A failure that is not a token lookup (e.g. a bad provisioning secret) counted against the source.</summary>
    public DeviceApiResult Failure(string source, DeviceApiResult? answer = null)
    {
        if (_limiter.RecordFailure(source))
        {
            DevicesLog.AuthFailed(_logger, source);
            return answer ?? DeviceApiResult.Unauthorized;
        }
        if (_limiter.IsSilenced(source)) DevicesLog.SourceSilenced(_logger, source);
        return DeviceApiResult.Silent;
    }

    /// <summary>The device for a token seen within the last 30 s, without I/O (for Observe identities); null otherwise.</summary>
    public DeviceRecord? TryGetCached(string token) =>
        _cache.TryGetValue(token, out var entry) && entry.Expires > _time.GetTimestamp() ? entry.Device : null;

    /// <summary>Forgets that devices were connected, e.g. after the bridge lost its MQTT session (the next contact re-sends connect).</summary>
    public void ForgetConnections() => _connected.Clear();

    private async ValueTask<DeviceRecord?> FindSessionDeviceAsync(string name, CancellationToken cancellationToken)
    {
        if (_sessionDevices.TryGetValue(name, out var entry) && entry.Expires > _time.GetTimestamp()) return entry.Device;
        var device = await _devices.FindByNameAsync(name, cancellationToken).ConfigureAwait(false);
        if (device is null) return null; // removed since its session began
        if (_sessionDevices.Count >= CacheCapacity) _sessionDevices.Clear();
        _sessionDevices[name] = (device, _time.GetTimestamp() + (long)(CacheLifetime.TotalSeconds * _time.TimestampFrequency));
        return device;
    }

    private async ValueTask<DeviceRecord?> FindAsync(string token, CancellationToken cancellationToken)
    {
        if (token.Length is 0 or > MaxTokenLength) return null;
        if (TryGetCached(token) is { } cached) return cached;
        var device = await _devices.FindByTokenAsync(token, cancellationToken).ConfigureAwait(false);
        if (device is null) return null;
        if (_cache.Count >= CacheCapacity) _cache.Clear(); // a burst of distinct valid tokens only costs lookups
        _cache[token] = (device, _time.GetTimestamp() + (long)(CacheLifetime.TotalSeconds * _time.TimestampFrequency));
        return device;
    }

    private async ValueTask<DeviceApiResult?> ConnectAsync(DeviceRecord device, CancellationToken cancellationToken)
    {
        var message = new OutboxMessage(device.Name, OutboxMessageKind.DeviceConnect, UplinkPayloads.DeviceConnect(device.Profile))
        {
            ReceivedAt = _time.GetUtcNow(),
        };
        var result = await _outbox.EnqueueAsync(message, null, cancellationToken).ConfigureAwait(false);
        if (result.Status == EnqueueStatus.Refused)
        {
            DevicesLog.EnqueueRefused(_logger, device.Name, nameof(OutboxMessageKind.DeviceConnect), result.Refusal.ToString(), result.RetryAfter);
            return DeviceApiResult.Refused(result.RetryAfter);
        }
        if (_connected.TryAdd(device.Name, true)) DevicesLog.DeviceConnected(_logger, device.Name, device.Profile);
        return null;
    }
}
