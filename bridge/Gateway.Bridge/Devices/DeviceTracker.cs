using System.Text.Json;
using Gateway.Storage.Devices;
using Gateway.Storage.Outbox;

namespace Gateway.Bridge.Devices;

/// <summary>
/// The devices the cloud should consider connected through this gateway. ThingsBoard forgets them
/// with every MQTT session (thingsboard.md §4.5), so after each (re)connect all active devices are
/// announced again before new data. Active = registered in the device store when the bridge started,
/// or forwarded a row since; a device leaves the set when its disconnect row is forwarded, when it
/// is removed from the device store, or after <see cref="BridgeOptions.IdleDisconnectSeconds"/>
/// without a forwarded row. Bounded by the devices that can authenticate (the device store).
/// </summary>
public sealed class DeviceTracker(IDeviceStore? store, BridgeOptions options, TimeProvider time)
{
    private readonly Lock _gate = new();
    private readonly Dictionary<string, Active> _active = new(StringComparer.Ordinal);
    private readonly HashSet<string> _toAnnounce = new(StringComparer.Ordinal);
    private readonly HashSet<string> _announcedInSession = new(StringComparer.Ordinal);
    private HashSet<string> _registered = new(StringComparer.Ordinal);
    private bool _announceAll;
    private long _lastSweep = time.GetTimestamp();

    /// <summary>Loads the registered devices as active (a restart must not cost them their downlinks).</summary>
    public async Task InitializeAsync(CancellationToken cancellationToken)
    {
        if (store is null) return;
        var devices = await store.ListAsync(cancellationToken).ConfigureAwait(false);
        lock (_gate)
        {
            _registered = devices.Select(d => d.Name).ToHashSet(StringComparer.Ordinal);
            foreach (var d in devices) _active.TryAdd(d.Name, new Active(d.Profile, time.GetTimestamp()));
        }
    }

    public int ActiveCount { get { lock (_gate) return _active.Count; } }

    public bool IsActive(string device) { lock (_gate) return _active.ContainsKey(device); }

    /// <summary>The active devices now.</summary>
    public IReadOnlyList<string> ActiveDevices() { lock (_gate) return [.. _active.Keys]; }

    /// <summary>
    /// Whether the cloud has acknowledged a <c>connect</c> of this device in the current MQTT session
    /// (then another one is redundant: a device is announced once per session).
    /// </summary>
    public bool AnnouncedInSession(string device) { lock (_gate) return _announcedInSession.Contains(device); }

    /// <summary>Called on every (re)connect: the next publish must be the announcement of all active devices.</summary>
    public void RequestAnnouncement()
    {
        lock (_gate)
        {
            _announceAll = true;
            _announcedInSession.Clear();
        }
    }

    /// <summary>
    /// The cloud forgot the device (deleted it, or renamed it and knows it by another name now): it is
    /// active again and announced before the next publish, whatever it was before.
    /// </summary>
    public void Reactivate(string device, string? type)
    {
        lock (_gate)
        {
            _active[device] = new Active(type ?? _active.GetValueOrDefault(device)?.Type, time.GetTimestamp());
            _announcedInSession.Remove(device);
            _toAnnounce.Add(device);
        }
    }

    /// <summary>An announcement of these devices was acknowledged in the current session.</summary>
    public void Announced(IEnumerable<string> devices)
    {
        lock (_gate) _announcedInSession.UnionWith(devices);
    }

    /// <summary>The cloud dropped one device (MQTT 5 cloud→gw disconnect): announce it again.</summary>
    public void RequestAnnouncement(string device)
    {
        lock (_gate)
        {
            if (!_active.ContainsKey(device)) return;
            _announcedInSession.Remove(device);
            _toAnnounce.Add(device);
        }
    }

    /// <summary>Devices to announce now (all active ones after a reconnect), with their profile when known; empty if none.</summary>
    public IReadOnlyList<(string Device, string? Type)> TakeAnnouncements()
    {
        lock (_gate)
        {
            IEnumerable<string> names = _announceAll ? _active.Keys : _toAnnounce.Where(_active.ContainsKey);
            var list = names.Select(n => (n, _active[n].Type)).ToList();
            _announceAll = false;
            _toAnnounce.Clear();
            return list;
        }
    }

    /// <summary>A row of this device was acknowledged by the cloud.</summary>
    public void Observe(OutboxEntry row)
    {
        var device = row.Message.Device;
        lock (_gate)
        {
            switch (row.Message.Kind)
            {
                case OutboxMessageKind.GatewayTelemetry or OutboxMessageKind.GatewayAttributes:
                    break;  // the gateway device itself, not a sub-device
                case OutboxMessageKind.DeviceDisconnect:
                    _active.Remove(device);
                    _announcedInSession.Remove(device);
                    break;
                case OutboxMessageKind.DeviceConnect:
                    _active[device] = new Active(TypeOf(row) ?? _active.GetValueOrDefault(device)?.Type, time.GetTimestamp());
                    _announcedInSession.Add(device);
                    break;
                default:
                    // §4.3: any publish for a device implicitly connects it on the server.
                    _active[device] = new Active(_active.GetValueOrDefault(device)?.Type, time.GetTimestamp());
                    break;
            }
        }
    }

    /// <summary>
    /// Every <see cref="BridgeOptions.DeviceSweepSeconds"/>: devices to disconnect now (idle, or removed
    /// from the device store since the last look), with the reason; they leave the active set.
    /// </summary>
    public async Task<IReadOnlyList<(string Device, string Why)>> SweepAsync(CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            if (time.GetElapsedTime(_lastSweep) < TimeSpan.FromSeconds(options.DeviceSweepSeconds)) return [];
            _lastSweep = time.GetTimestamp();
        }
        HashSet<string>? registered = null;
        if (store is not null)
            registered = (await store.ListAsync(cancellationToken).ConfigureAwait(false)).Select(d => d.Name).ToHashSet(StringComparer.Ordinal);
        var result = new List<(string, string)>();
        lock (_gate)
        {
            if (registered is not null)
            {
                foreach (var removed in _registered.Where(n => !registered.Contains(n) && _active.ContainsKey(n)))
                    result.Add((removed, "removed from the device store"));
                _registered = registered;
            }
            if (options.IdleDisconnectSeconds > 0)
            {
                var idle = TimeSpan.FromSeconds(options.IdleDisconnectSeconds);
                foreach (var (name, active) in _active)
                    if (time.GetElapsedTime(active.LastSeen) >= idle && !result.Any(r => r.Item1 == name))
                        result.Add((name, $"idle for {idle}"));
            }
            foreach (var (name, _) in result)
            {
                _active.Remove(name);
                _announcedInSession.Remove(name);
            }
        }
        return result;
    }

    private static string? TypeOf(OutboxEntry row)
    {
        try
        {
            using var doc = JsonDocument.Parse(row.Message.Payload);
            return doc.RootElement.TryGetProperty("type", out var type) && type.ValueKind == JsonValueKind.String ? type.GetString() : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private sealed record Active(string? Type, long LastSeen);
}
