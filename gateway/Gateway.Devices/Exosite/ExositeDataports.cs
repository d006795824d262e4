using Gateway.Devices.Refusals;
using Gateway.Devices.ThingsBoard;
using Gateway.Domain;
using Gateway.Storage.Dataports;
using Gateway.Storage.Devices;
using Gateway.Storage.Outbox;
using Microsoft.Extensions.Logging;

namespace Gateway.Devices.Exosite;

/// <summary>
/// Exosite dataports without a transport (peers.md §A.1 write/read, §A.3 the RPC procedures that
/// touch data). An Exosite device is a gateway device; an alias is a telemetry key upstream.
/// A write is answered only after its outbox row is committed (DESIGN.md guarantees), then the local
/// dataport history is updated and observers are told through <see cref="Changed"/>.
/// </summary>
public sealed class ExositeDataports
{
    /// <summary>The cached answer stored with a dedup record: "2.04" (a replay answers Changed again).</summary>
    private static readonly byte[] ChangedMarker = [0x44];

    private readonly IDeviceStore _devices;
    private readonly IDataportStore _dataports;
    private readonly IOutbox _outbox;
    private readonly AuthFailureLimiter _failures;
    private readonly ExositeWriteLimiter _rate;
    private readonly ExositeOptions _options;
    private readonly DeviceApiOptions _apiOptions;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly RefusalLog? _refusals;

    public ExositeDataports(IDeviceStore devices, IDataportStore dataports, IOutbox outbox, AuthFailureLimiter failures, ExositeWriteLimiter rate,
        ExositeOptions options, DeviceApiOptions apiOptions, TimeProvider time, ILogger<ExositeDataports> logger, RefusalLog? refusals = null)
    {
        _refusals = refusals;
        _devices = devices;
        _dataports = dataports;
        _outbox = outbox;
        _failures = failures;
        _rate = rate;
        _options = options;
        _apiOptions = apiOptions;
        _time = time;
        _logger = logger;
    }

    public ExositeOptions Options => _options;

    /// <summary>
    /// Counts a refused request of <paramref name="source"/> (an address) by the result it got: 4.03, the write-rate code
    /// and 4.00 (<see cref="RefusalKind.InvalidRequest"/> unless <paramref name="malformed"/> names the payload's reason).
    /// Other results are not refusals of the request (a missing activation, a full store) and are not counted.
    /// </summary>
    internal void CountRefusal(ExositeResult result, string source, RefusalKind malformed = RefusalKind.InvalidRequest)
    {
        if (_refusals is null) return;
        switch (result.Status)
        {
            case ExositeStatus.Forbidden: _refusals.Report(RefusalKind.Forbidden, source); break;
            case ExositeStatus.TooFast: _refusals.Report(RefusalKind.TooFast, source); break;
            case ExositeStatus.BadRequest: _refusals.Report(malformed, source); break;
        }
    }

    /// <summary>Raised after a dataport got a new value (device write, RPC, or the cloud): (device name, alias).</summary>
    public event Action<string, string>? Changed;

    /// <summary>
    /// The activated device holding <paramref name="cik"/>. A null or malformed CIK is a failure of
    /// <paramref name="source"/> (§A.1 answers 4.01 for both), shared with the ThingsBoard API's limiter:
    /// answered at its rate, then silence; a limited source gets lookups only for CIKs known at it and a small budget
    /// of others (<see cref="AuthFailureLimiter.Admit"/>, reliability.md S6).
    /// </summary>
    public async ValueTask<ExositeAuthentication> AuthenticateAsync(string? cik, string source, CancellationToken cancellationToken = default)
    {
        if (!_failures.Admit(source, cik)) return new(null, ExositeResult.Silent);
        var device = cik is null ? null : await _devices.FindByCikAsync(cik, cancellationToken).ConfigureAwait(false);
        if (device is not null && device.Vendor is not null)
        {
            _failures.RecordSuccess(source, cik!);
            return new(device, ExositeResult.Unauthorized);
        }
        if (_failures.RecordFailure(source))
        {
            ExositeLog.AuthFailed(_logger, source);
            return new(null, ExositeResult.Unauthorized);
        }
        if (_failures.IsSilenced(source)) ExositeLog.SourceSilenced(_logger, source);
        return new(null, ExositeResult.Silent);
    }

    /// <summary>The device of an observe relation restored after a restart (stored by name, never by CIK); Unauthorized once it is gone or deactivated.</summary>
    public async ValueTask<ExositeAuthentication> AuthenticateRestoredAsync(string deviceName, CancellationToken cancellationToken = default)
    {
        var device = await _devices.FindByNameAsync(deviceName, cancellationToken).ConfigureAwait(false);
        return new(device is { Vendor: not null } ? device : null, ExositeResult.Unauthorized);
    }

    /// <summary>
    /// Writes values at the server's time (§A.1 write, multiple write; §A.3 write, writegroup): 4.03 for an
    /// alias the device may not use, <see cref="ExositeStatus.TooFast"/> when a dataport was written within
    /// <see cref="ExositeOptions.MinWriteInterval"/>; all or nothing. <paramref name="dedupKey"/> makes a
    /// retransmission harmless (the row is stored once, also across a restart).
    /// </summary>
    public async ValueTask<ExositeResult> WriteAsync(DeviceRecord device, IReadOnlyList<(string Alias, string Value)> values, string? dedupKey,
        CancellationToken cancellationToken = default)
    {
        if (Check(device, values.Select(v => v.Alias), values.Select(v => v.Value)) is { } refused) return refused;
        if (values.Count == 0) return ExositeResult.Changed;
        var aliases = values.Select(v => v.Alias).Distinct(StringComparer.Ordinal).ToList();
        if (!_rate.TryReserve(device.Name, aliases, out var previous))
        {
            ExositeLog.WriteTooFast(_logger, device.Name, aliases[0], _options.MinWriteInterval);
            return ExositeResult.TooFast;
        }
        var at = _time.GetUtcNow();
        var record = ExositeValues.ToValues(values.Select(v => ExositeValues.Type(v.Alias, v.Value)));
        var result = await StoreAsync(device, [(at, values, record)], dedupKey, cancellationToken).ConfigureAwait(false);
        if (result.Status != ExositeStatus.Changed) _rate.Release(device.Name, aliases, previous);
        return result;
    }

    /// <summary>
    /// Writes timestamped points (§A.3 record / recordbatch: "Negative ts means seconds before now"). Not
    /// rate limited: the points carry their own times.
    /// </summary>
    public ValueTask<ExositeResult> RecordAsync(DeviceRecord device, string alias, IReadOnlyList<(long UnixSeconds, string Value)> points, string? dedupKey,
        CancellationToken cancellationToken = default)
    {
        if (Check(device, [alias], points.Select(p => p.Value)) is { } refused) return new(refused);
        if (points.Count == 0) return new(ExositeResult.Changed);
        var now = _time.GetUtcNow();
        var batch = points
            .Select(p => (At: p.UnixSeconds < 0 ? now.AddSeconds(p.UnixSeconds) : DateTimeOffset.FromUnixTimeSeconds(p.UnixSeconds), p.Value))
            .GroupBy(p => p.At)
            .OrderBy(g => g.Key)
            .Select(g => (g.Key, (IReadOnlyList<(string, string)>)[(alias, g.Last().Value)], ExositeValues.ToValues([ExositeValues.Type(alias, g.Last().Value)])))
            .ToList();
        return StoreAsync(device, batch, dedupKey, cancellationToken);
    }

    /// <summary>The newest value of a dataport, or null when it has none.</summary>
    public async Task<DataportValue?> LatestAsync(string device, string alias, CancellationToken cancellationToken = default) =>
        (await _dataports.ReadAsync(device, alias, 1, cancellationToken).ConfigureAwait(false)) is [var latest, ..] ? latest : null;

    /// <summary>Up to <paramref name="count"/> values, newest first.</summary>
    public Task<IReadOnlyList<DataportValue>> HistoryAsync(string device, string alias, int count, CancellationToken cancellationToken = default) =>
        _dataports.ReadAsync(device, alias, count, cancellationToken);

    /// <summary>
    /// A shared attribute set by the cloud for an Exosite device becomes the dataport with that alias
    /// (issue 8: "the cloud can write to a device"); not sent back upstream, not rate limited.
    /// </summary>
    public async Task ApplyCloudValuesAsync(string deviceName, IReadOnlyList<(string Alias, string Value)> values, CancellationToken cancellationToken = default)
    {
        var device = await _devices.FindByNameAsync(deviceName, cancellationToken).ConfigureAwait(false);
        if (device?.Vendor is null) return; // a ThingsBoard device: its attributes are not dataports
        var at = _time.GetUtcNow();
        foreach (var (alias, value) in values)
        {
            if (!_options.MayAccess(alias)) continue;
            await _dataports.WriteAsync(device.Name, alias, value, at, cancellationToken).ConfigureAwait(false);
            ExositeLog.CloudWrote(_logger, device.Name, alias);
            Changed?.Invoke(device.Name, alias);
        }
    }

    private ExositeResult? Check(DeviceRecord device, IEnumerable<string> aliases, IEnumerable<string> values)
    {
        foreach (var alias in aliases)
        {
            if (_options.MayAccess(alias)) continue;
            ExositeLog.AliasForbidden(_logger, device.Name, alias);
            return ExositeResult.Forbidden;
        }
        foreach (var value in values)
        {
            if (System.Text.Encoding.UTF8.GetByteCount(value) > _options.MaxValueBytes) return ExositeResult.Invalid($"A value is longer than {_options.MaxValueBytes} bytes.");
        }
        return null;
    }

    private async ValueTask<ExositeResult> StoreAsync(DeviceRecord device, IReadOnlyList<(DateTimeOffset At, IReadOnlyList<(string Alias, string Value)> Values, System.Text.Json.Nodes.JsonObject Record)> batch,
        string? dedupKey, CancellationToken cancellationToken)
    {
        var payload = UplinkPayloads.Telemetry(batch.Select(b => (b.At.ToUnixTimeMilliseconds(), b.Record)));
        var message = new OutboxMessage(device.Name, OutboxMessageKind.Telemetry, payload) { ReceivedAt = _time.GetUtcNow() };
        // The key already names peer and exchange; it goes in the record's peer field whole (MID 0), as DeviceApi does.
        DedupRecord? dedup = dedupKey is null ? null : new DedupRecord(dedupKey, 0, ChangedMarker, _apiOptions.DedupLifetime);
        var result = await _outbox.EnqueueAsync(message, dedup, cancellationToken).ConfigureAwait(false);
        if (result.Status == EnqueueStatus.Refused)
        {
            ExositeLog.WriteRefused(_logger, device.Name, result.Refusal.ToString(), result.RetryAfter);
            return ExositeResult.Refused(result.RetryAfter);
        }
        if (result.Status == EnqueueStatus.Duplicate) return ExositeResult.Changed; // the first copy updated the dataport already
        // The dataport history follows the committed row; a crash in between leaves the latest value one write behind, the cloud has it.
        foreach (var (at, values, _) in batch)
        {
            foreach (var (alias, value) in values) await _dataports.WriteAsync(device.Name, alias, value, at, cancellationToken).ConfigureAwait(false);
        }
        foreach (var alias in batch.SelectMany(b => b.Values).Select(v => v.Alias).Distinct(StringComparer.Ordinal)) Changed?.Invoke(device.Name, alias);
        return ExositeResult.Changed;
    }
}
