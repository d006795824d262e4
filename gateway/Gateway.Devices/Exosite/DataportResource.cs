using System.Collections.Concurrent;
using System.Text;
using Gateway.Coap.Observe;
using Gateway.Coap.Server;
using Microsoft.Extensions.Logging;

namespace Gateway.Devices.Exosite;

/// <summary>
/// <c>/1a/&lt;alias&gt;?&lt;CIK&gt;</c> (peers.md §A.1): POST writes the UTF-8 value (2.04), GET reads the
/// latest (2.05, empty payload when the dataport has no value yet: libexositecoap accepts an empty
/// payload as "", §A.2), GET + Observe registers: a notification on every update and a refresh
/// whenever Max-Age runs out (§A.1 observed read; libexositecoap re-registers silently otherwise, §A.2).
/// Answers are always piggybacked from local state (§A.2: the C library ignores separate responses).
/// </summary>
internal sealed class DataportResource : ObservableResource, IDisposable
{
    private readonly ExositeDataports _dataports;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly ITimer _refresh;
    // Registration → relation: RegisterAsync knows the device, OnRelationAdded sees the relation.
    private readonly ConcurrentDictionary<string, string> _pending = new(StringComparer.Ordinal);

    public DataportResource(ExositeDataports dataports, TimeProvider time, ILogger logger) : base("{alias}")
    {
        _dataports = dataports;
        _time = time;
        _logger = logger;
        NotificationMaxAge = Math.Clamp(dataports.Options.ObserveMaxAge, 1u, 255u);
        _refresh = time.CreateTimer(_ => RefreshExpired(), null, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(1));
    }

    protected override async ValueTask<CoapResponse> GetAsync(CoapRequest request, CancellationToken cancellationToken) =>
        (await ReadAsync(request, cancellationToken).ConfigureAwait(false)).Response;

    protected override async ValueTask<CoapResponse> RegisterAsync(CoapRequest request, CancellationToken cancellationToken)
    {
        var (response, device) = await ReadAsync(request, cancellationToken).ConfigureAwait(false);
        if (_pending.Count > 1024) _pending.Clear(); // registrations that never became relations (caps); bounded
        if (device is null) return response;
        var alias = request.RouteValues["alias"];
        _pending[PendingKey(request.Peer.ToString(), alias)] = device;
        // One relation per device and dataport, whatever the address, token or CIK query: libexositecoap registers
        // again with a new token (after a restart of either side, from a new NAT port), and the new registration
        // replaces the old relation at once, a restored one too (which has no CIK in its query, so no common target).
        SetObserverIdentity(request, $"{device}\n{alias}");
        return response;
    }

    private async ValueTask<(CoapResponse Response, string? Device)> ReadAsync(CoapRequest request, CancellationToken cancellationToken)
    {
        var options = _dataports.Options;
        var alias = request.RouteValues["alias"];
        var auth = await AuthenticateAsync(request, cancellationToken).ConfigureAwait(false);
        if (auth.Device is not { } device) return (ExositeCoap.ToCoap(auth.Failure, options), null);
        if (!options.MayAccess(alias))
        {
            _dataports.CountRefusal(ExositeResult.Forbidden, ExositeCoap.Source(request));
            return (ExositeCoap.ToCoap(ExositeResult.Forbidden, options), null);
        }
        var latest = await _dataports.LatestAsync(device.Name, alias, cancellationToken).ConfigureAwait(false);
        return (new CoapResponse(Gateway.Coap.Messages.CoapCode.Content, latest is null ? default : Encoding.UTF8.GetBytes(latest.Value)), device.Name);
    }

    protected override ValueTask<CoapResponse> PostAsync(CoapRequest request, CancellationToken cancellationToken)
    {
        // Everything from the request is read before the first await: the payload aliases the receive buffer.
        var cik = ExositeCik.FromQuery(request.Options);
        var alias = request.RouteValues["alias"];
        string? value;
        try
        {
            value = new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(request.Payload.Span);
        }
        catch (DecoderFallbackException)
        {
            value = null; // §A.1: "<value> … as a UTF-8 string"
        }
        return WriteAsync(cik, ExositeCoap.Source(request), ExositeCoap.DedupKey(request), alias, value, cancellationToken);
    }

    private async ValueTask<CoapResponse> WriteAsync(string? cik, string source, string dedupKey, string alias, string? value, CancellationToken cancellationToken)
    {
        var options = _dataports.Options;
        var auth = await _dataports.AuthenticateAsync(cik, source, cancellationToken).ConfigureAwait(false);
        if (auth.Device is not { } device) return ExositeCoap.ToCoap(auth.Failure, options);
        var result = value is null
            ? ExositeResult.Invalid("The value must be UTF-8 text.")
            : await _dataports.WriteAsync(device, [(alias, value)], dedupKey, cancellationToken).ConfigureAwait(false);
        _dataports.CountRefusal(result, source);
        return ExositeCoap.ToCoap(result, options);
    }

    protected override void OnRelationAdded(ObserveRelation relation)
    {
        var path = relation.CreateRequest().Path;
        var alias = path.Count > 1 ? path[1] : "";
        if (_pending.TryRemove(PendingKey(relation.Peer.ToString(), alias), out var device))
        {
            relation.State = new DataportObservation(device, alias, _time.GetTimestamp());
        }
        else
        {
            _ = ResolveAsync(relation, alias); // restored after a restart: look the CIK up again
        }
    }

    private async Task ResolveAsync(ObserveRelation relation, string alias)
    {
        var device = (await AuthenticateAsync(relation.CreateRequest(), CancellationToken.None).ConfigureAwait(false)).Device;
        if (device is null) relation.Cancel();
        else relation.State = new DataportObservation(device.Name, alias, _time.GetTimestamp());
    }

    protected override async ValueTask<CoapResponse?> ComposeNotificationAsync(ObserveRelation relation, CancellationToken cancellationToken)
    {
        if (relation.State is DataportObservation observation) Interlocked.Exchange(ref observation.LastSent, _time.GetTimestamp());
        return (await ReadAsync(relation.CreateRequest(), cancellationToken).ConfigureAwait(false)).Response;
    }

    /// <summary>A dataport changed: every observer of it gets the new value.</summary>
    public void OnChanged(string device, string alias) =>
        NotifyObservers(r => r.State is DataportObservation o && o.Device == device && o.Alias == alias);

    /// <summary>
    /// §A.1: "when the max_age of the last sent packet expires" the server sends the value again. A relation
    /// whose last notification is Max-Age old gets one now (composed like any other, so a removed device or
    /// a revoked CIK ends the relation with its 4.01).
    /// </summary>
    private void RefreshExpired()
    {
        long now = _time.GetTimestamp();
        var maxAge = TimeSpan.FromSeconds(NotificationMaxAge ?? 60);
        foreach (var relation in Relations)
        {
            if (relation.State is not DataportObservation o || _time.GetElapsedTime(Interlocked.Read(ref o.LastSent), now) < maxAge) continue;
            Interlocked.Exchange(ref o.LastSent, now);
            _ = RefreshAsync(relation, o);
        }
    }

    private async Task RefreshAsync(ObserveRelation relation, DataportObservation observation)
    {
        var outcome = await NotifyAsync(relation).ConfigureAwait(false);
        ExositeLog.Refreshed(_logger, observation.Device, observation.Alias, outcome.ToString());
    }

    private static string PendingKey(string peer, string alias) => $"{peer}|{alias}";

    /// <summary>By the CIK in the query; a relation restored after a restart carries its device name instead.</summary>
    private ValueTask<ExositeAuthentication> AuthenticateAsync(CoapRequest request, CancellationToken cancellationToken) =>
        request.RestoredState is { } device
            ? _dataports.AuthenticateRestoredAsync(device, cancellationToken)
            : _dataports.AuthenticateAsync(ExositeCik.FromQuery(request.Options), ExositeCoap.Source(request), cancellationToken);

    /// <summary>Stored without the CIK (the query), with the device name to restore from; not stored before the device is known.</summary>
    protected override ObservationSnapshot? ToStorable(ObserveRelation relation, ObservationSnapshot snapshot) =>
        relation.State is DataportObservation observation ? snapshot with { Query = [], State = observation.Device } : null;

    public void Dispose() => _refresh.Dispose();
}
