using System.Buffers;
using System.Text.Json;
using System.Text.Json.Nodes;
using Gateway.Devices.Refusals;
using Gateway.Domain;
using Gateway.Storage;
using Gateway.Storage.Attributes;
using Gateway.Storage.Devices;
using Gateway.Storage.Downlinks;
using Gateway.Storage.Outbox;
using Microsoft.Extensions.Logging;

namespace Gateway.Devices.ThingsBoard;

/// <summary>
/// ThingsBoard's device API (thingsboard.md §1–§2) without a transport: the CoAP resources of this
/// project and the HTTP endpoints (issue 9) call these methods and map <see cref="DeviceApiResult"/>
/// to codes. Every write answers <see cref="DeviceApiStatus.Created"/> only after the outbox commit
/// (DESIGN.md guarantees), <see cref="DeviceApiStatus.Unavailable"/> with the store's retry hint
/// when it refuses. Payloads are parsed before the first await returns control to the caller's
/// buffer owner, so a CoAP payload that aliases the receive buffer is never read late.
/// </summary>
public sealed class DeviceApi
{
    /// <summary>The cached response stored with a dedup record: "2.01" (a replay answers Created again).</summary>
    private static readonly byte[] CreatedMarker = [0x41];

    private readonly DeviceAuthenticator _auth;
    private readonly IOutbox _outbox;
    private readonly IAttributeStore _attributes;
    private readonly IDownlinkQueue _downlinks;
    private readonly AttributeReader _reader;
    private readonly ICloudLink _cloud;
    private readonly DeviceApiOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly RefusalLog? _refusals;

    public DeviceApi(DeviceAuthenticator auth, IOutbox outbox, IAttributeStore attributes, IDownlinkQueue downlinks, ICloudLink cloud,
        DeviceApiOptions options, TimeProvider time, ILogger<DeviceApi> logger, RefusalLog? refusals = null)
    {
        _refusals = refusals;
        _auth = auth;
        _outbox = outbox;
        _attributes = attributes;
        _downlinks = downlinks;
        _cloud = cloud;
        _options = options;
        _time = time;
        _logger = logger;
        _reader = new AttributeReader(attributes, cloud, options, time, logger);
    }

    public DeviceAuthenticator Authenticator => _auth;

    /// <summary>
    /// <c>POST /api/v1/{token}/telemetry</c>: the four forms of §1.2, typed per §1.1, one outbox row of
    /// <c>[{"ts","values"}…]</c> with the server time where the device gave none. Deviation: an empty
    /// array <c>[]</c> (ThingsBoard never answers, #6746) and records without values are acknowledged
    /// as Created without a row.
    /// </summary>
    public ValueTask<DeviceApiResult> IngestTelemetryAsync(string token, ReadOnlyMemory<byte> payload, DeviceRequestContext context, CancellationToken cancellationToken = default)
    {
        long now = _time.GetUtcNow().ToUnixTimeMilliseconds();
        var row = ArrayPool<byte>.Shared.Rent(FlatTelemetryWriter.MaxRowLength(payload.Length));
        if (FlatTelemetryWriter.TryWrite(payload.Span, now, row, out int written)) return EnqueueRentedAsync(token, row, written, context, cancellationToken);
        ArrayPool<byte>.Shared.Return(row);
        return IngestParsedTelemetryAsync(token, payload, now, context, cancellationToken);
    }

    private async ValueTask<DeviceApiResult> IngestParsedTelemetryAsync(string token, ReadOnlyMemory<byte> payload, long now, DeviceRequestContext context, CancellationToken cancellationToken)
    {
        List<TelemetryRecord> records;
        try
        {
            records = TelemetryParser.Parse(payload, now);
        }
        catch (PayloadException e)
        {
            // Parse first, authenticate second would reveal nothing either way; ThingsBoard authenticates first.
            var auth0 = await _auth.AuthenticateAsync(token, context, cancellationToken).ConfigureAwait(false);
            if (!auth0.Succeeded) return auth0.Failure!;
            return Rejected(auth0.Device!.Name, "telemetry", e, context);
        }
        var auth = await _auth.AuthenticateAsync(token, context, cancellationToken).ConfigureAwait(false);
        if (!auth.Succeeded) return auth.Failure!;
        records.RemoveAll(r => r.Values.Count == 0);
        if (records.Count == 0) return DeviceApiResult.Created;
        return await EnqueueAsync(auth.Device!.Name, OutboxMessageKind.Telemetry, TelemetryParser.ToOutboxPayload(records), context, [], cancellationToken, continuesBriefly: true).ConfigureAwait(false);
    }

    /// <summary>Authenticates and enqueues a telemetry row written into a pooled buffer, which goes back to the pool once the outbox is done with it.</summary>
    private ValueTask<DeviceApiResult> EnqueueRentedAsync(string token, byte[] row, int length, DeviceRequestContext context, CancellationToken cancellationToken)
    {
        var authenticating = _auth.AuthenticateAsync(token, context, cancellationToken);
        return authenticating.IsCompletedSuccessfully
            ? EnqueueRented(authenticating.Result, row, length, context, cancellationToken)
            : EnqueueRentedAfterAsync(authenticating, row, length, context, cancellationToken);
    }

    /// <summary><see cref="EnqueueRentedAsync"/> when the token's lookup did not complete at once (a device not seen before).</summary>
    private async ValueTask<DeviceApiResult> EnqueueRentedAfterAsync(ValueTask<AuthenticatedDevice> authenticating, byte[] row, int length,
        DeviceRequestContext context, CancellationToken cancellationToken) =>
        await EnqueueRented(await authenticating.ConfigureAwait(false), row, length, context, cancellationToken).ConfigureAwait(false);

    /// <summary>The rented row of an authenticated device enqueued, or refused; the buffer goes back once the outbox is done with it.</summary>
    private ValueTask<DeviceApiResult> EnqueueRented(AuthenticatedDevice auth, byte[] row, int length, DeviceRequestContext context, CancellationToken cancellationToken)
    {
        if (!auth.Succeeded)
        {
            ArrayPool<byte>.Shared.Return(row);
            return new(auth.Failure!);
        }
        // No asynchronous method around the outbox's wait (issue 21): its result is mapped where the commit completes it.
        string device = auth.Device!.Name;
        return MappedValueTask<EnqueueResult, (DeviceApi Api, string Device, byte[] Row), DeviceApiResult>.Map(
            StartEnqueue(device, OutboxMessageKind.Telemetry, row.AsMemory(0, length), context, [], cancellationToken, continuesBriefly: true),
            (this, device, row), static (result, write) =>
            {
                // Not reached when the wait throws: a cancelled wait does not stop a commit under way (IOutbox.EnqueueAsync),
                // which may still read the row, so the buffer is then left to the collector.
                ArrayPool<byte>.Shared.Return(write.Row);
                return write.Api.Enqueued(result, write.Device, OutboxMessageKind.Telemetry);
            });
    }

    /// <summary><c>POST /api/v1/{token}/attributes</c>: a JSON object (§1.3), typed per §1.1 → outbox (compactable by key), then the local cache.</summary>
    public async ValueTask<DeviceApiResult> PostClientAttributesAsync(string token, ReadOnlyMemory<byte> payload, DeviceRequestContext context, CancellationToken cancellationToken = default)
    {
        List<KeyValue>? values = null;
        PayloadException? error = null;
        try
        {
            using var document = JsonText.Parse(payload);
            if (document.RootElement.ValueKind != JsonValueKind.Object) throw new PayloadException("Attributes must be a JSON object.");
            values = KeyValueParser.ParseObject(document.RootElement);
        }
        catch (PayloadException e)
        {
            error = e;
        }
        var auth = await _auth.AuthenticateAsync(token, context, cancellationToken).ConfigureAwait(false);
        if (!auth.Succeeded) return auth.Failure!;
        var device = auth.Device!.Name;
        if (error is not null) return Rejected(device, "attributes", error, context);
        if (values!.Count == 0) return DeviceApiResult.Created;

        var buffer = new ArrayBufferWriter<byte>(128);
        using (var writer = new Utf8JsonWriter(buffer, JsonText.WriterOptions)) TelemetryParser.WriteValues(writer, values);
        var result = await EnqueueAsync(device, OutboxMessageKind.ClientAttributes, buffer.WrittenSpan.ToArray(), context,
            [.. values.Select(v => v.Key)], cancellationToken).ConfigureAwait(false);
        if (result.Status == DeviceApiStatus.Created)
        {
            await _attributes.SetAsync(device, AttributeScope.Client, values.ToDictionary(v => v.Key, v => v.Json, StringComparer.Ordinal),
                _time.GetUtcNow(), cancellationToken).ConfigureAwait(false);
        }
        return result;
    }

    /// <summary>
    /// <c>GET /api/v1/{token}/attributes?clientKeys=&amp;sharedKeys=</c>: <c>{"client":{…},"shared":{…}}</c>
    /// with empty scopes left out (§1.3); no keys at all → every cached attribute of both scopes;
    /// nothing found → <see cref="DeviceApiStatus.NotFound"/> (CoAP 4.04, §2.3; HTTP answers <c>{}</c>).
    /// Pass null for a scope the request did not name.
    /// </summary>
    public async ValueTask<DeviceApiResult> GetAttributesAsync(string token, IReadOnlyCollection<string>? clientKeys, IReadOnlyCollection<string>? sharedKeys,
        DeviceRequestContext context, CancellationToken cancellationToken = default)
    {
        var auth = await _auth.AuthenticateAsync(token, context, cancellationToken).ConfigureAwait(false);
        if (!auth.Succeeded) return auth.Failure!;
        return await _reader.ReadAsync(auth.Device!.Name, clientKeys, sharedKeys, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The flat <c>{"k":v}</c> of all cached shared attributes: the first answer of an attributes observation (§2.5), <c>{}</c> if none.</summary>
    public Task<byte[]> GetSharedAttributesFlatAsync(string device, CancellationToken cancellationToken = default) =>
        _reader.SharedFlatAsync(device, cancellationToken);

    /// <summary>
    /// <c>POST /api/v1/{token}/rpc/{id}</c>: the device's reply to a server-side RPC → RpcReply row
    /// <c>{"id":n,"data":reply}</c>, then the queued RPC is completed. Non-numeric id → 4.00; malformed
    /// JSON → 4.00; valid JSON that is not an object → 5.00 (§1.4, §2.4: ThingsBoard throws inside its callback).
    /// </summary>
    public async ValueTask<DeviceApiResult> PostRpcReplyAsync(string token, string requestId, ReadOnlyMemory<byte> payload, DeviceRequestContext context, CancellationToken cancellationToken = default)
    {
        JsonNode? reply = null;
        DeviceApiResult? invalid = null;
        var refusal = RefusalKind.MalformedJson;
        if (!int.TryParse(requestId, System.Globalization.NumberStyles.AllowLeadingSign, System.Globalization.CultureInfo.InvariantCulture, out int id))
        {
            invalid = DeviceApiResult.Invalid("RPC id must be an integer.");
            refusal = RefusalKind.InvalidRequest;
        }
        else
        {
            try
            {
                using var document = JsonText.Parse(payload);
                if (document.RootElement.ValueKind != JsonValueKind.Object) invalid = DeviceApiResult.InternalError;
                else reply = JsonNode.Parse(document.RootElement.GetRawText());
            }
            catch (PayloadException e)
            {
                invalid = DeviceApiResult.Invalid(e.Message);
            }
        }
        var auth = await _auth.AuthenticateAsync(token, context, cancellationToken).ConfigureAwait(false);
        if (!auth.Succeeded) return auth.Failure!;
        if (invalid is not null)
        {
            _refusals?.Report(refusal, context.Source);
            return invalid;
        }
        var device = auth.Device!.Name;
        var result = await EnqueueAsync(device, OutboxMessageKind.RpcReply, UplinkPayloads.RpcReply(id, reply), context, [], cancellationToken).ConfigureAwait(false);
        if (result.Status == DeviceApiStatus.Created) await _downlinks.CompleteRpcAsync(device, id, cancellationToken).ConfigureAwait(false);
        return result;
    }

    /// <summary>Max-Age / Retry-After when the link is down: a reconnect takes seconds, asking sooner gets the same answer.</summary>
    private static readonly TimeSpan LinkDownRetryAfter = TimeSpan.FromSeconds(10);

    private static readonly byte[] CloudUnavailable = """{"error":"cloud unavailable"}"""u8.ToArray();
    private static readonly byte[] CloudTimeout = """{"error":"cloud timeout"}"""u8.ToArray();

    /// <summary>
    /// <c>POST /api/v1/{token}/rpc</c> (client-side RPC, §1.4): <c>{"method":"…","params":…}</c>.
    /// Built in: <c>getCurrentTime</c> → <c>{"time":unix ms}</c>. Every other method is forwarded through
    /// <see cref="ICloudLink.CallRpcAsync"/> as the gateway's own client-side RPC (§4.1; the gateway API has
    /// none for sub-devices, §4.2), envelope <c>{"method":m,"params":{"device":name,"params":p}}</c>, and the
    /// rule chain's reply JSON is answered 2.05 (HTTP 200) as is. No reply (deterministic where ThingsBoard
    /// sends nothing at all, §2.4): link down (before the call, or dropped during it) → 5.03 + Max-Age 10 (HTTP 503 +
    /// Retry-After) <c>{"error":"cloud unavailable"}</c>; no reply within <see cref="DeviceApiOptions.ClientRpcTimeout"/>
    /// while the link stays up → 5.04 (HTTP 408, ThingsBoard's HTTP code for it, §3) <c>{"error":"cloud timeout"}</c>.
    /// </summary>
    public async ValueTask<DeviceApiResult> ClientRpcAsync(string token, ReadOnlyMemory<byte> payload, DeviceRequestContext context, CancellationToken cancellationToken = default)
    {
        string? method = null;
        JsonNode? parameters = null;
        PayloadException? error = null;
        try
        {
            using var document = JsonText.Parse(payload);
            if (document.RootElement.ValueKind != JsonValueKind.Object
                || !document.RootElement.TryGetProperty("method", out var m) || m.ValueKind != JsonValueKind.String)
            {
                throw new PayloadException("Client-side RPC needs {\"method\":\"…\",\"params\":…}.");
            }
            method = m.GetString()!;
            // Copied out now: the payload may alias a CoAP receive buffer that is reused after the first await.
            if (document.RootElement.TryGetProperty("params", out var p)) parameters = JsonNode.Parse(p.GetRawText());
        }
        catch (PayloadException e)
        {
            error = e;
        }
        var auth = await _auth.AuthenticateAsync(token, context, cancellationToken).ConfigureAwait(false);
        if (!auth.Succeeded) return auth.Failure!;
        if (error is not null) return Rejected(auth.Device!.Name, "rpc", error, context);
        if (method == "getCurrentTime")
        {
            return DeviceApiResult.Content(JsonBytes.Of(new JsonObject { ["time"] = _time.GetUtcNow().ToUnixTimeMilliseconds() }));
        }
        var device = auth.Device!.Name;
        if (!_cloud.IsConnected) return NoCloudReply(device, method!, "link down", timedOut: false);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(_options.ClientRpcTimeout);
        JsonNode? reply;
        try
        {
            reply = await _cloud.CallRpcAsync(device, method!, parameters, timeout.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            // The link's contract is null on cancellation; a link that throws instead means the same.
            reply = null;
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            DevicesLog.ClientRpcFailed(_logger, device, method!, e);
            return NoCloudReply(device, method!, "failed", timedOut: false);
        }
        if (reply is not null) return DeviceApiResult.Content(JsonBytes.Of(reply));
        // Our deadline passed, or the link is still up but gave up (its own bound, or too many calls already
        // waiting on a slow cloud): the cloud did not answer → timeout. A link that dropped meanwhile → unavailable.
        bool timedOut = (timeout.IsCancellationRequested && !cancellationToken.IsCancellationRequested) || _cloud.IsConnected;
        return NoCloudReply(device, method!, timedOut ? "timeout" : "link down", timedOut);
    }

    private DeviceApiResult NoCloudReply(string device, string method, string outcome, bool timedOut)
    {
        DevicesLog.ClientRpcUnanswered(_logger, device, method, outcome);
        return timedOut
            ? DeviceApiResult.Failed(DeviceApiStatus.GatewayTimeout, CloudTimeout)
            : DeviceApiResult.Failed(DeviceApiStatus.Unavailable, CloudUnavailable, LinkDownRetryAfter);
    }

    /// <summary>
    /// <c>POST /api/v1/{token}/claim</c> (§1.5): optional <c>{"secretKey","durationMs"}</c>, empty body allowed.
    /// The row always carries <c>secretKey</c> (default ""); <c>durationMs</c> only when positive, so ThingsBoard
    /// applies its own <c>security.claim.duration</c> (24 h by default) exactly as for a direct device.
    /// </summary>
    public async ValueTask<DeviceApiResult> ClaimAsync(string token, ReadOnlyMemory<byte> payload, DeviceRequestContext context, CancellationToken cancellationToken = default)
    {
        string secret = "";
        long? duration = null;
        PayloadException? error = null;
        if (!payload.IsEmpty)
        {
            try
            {
                using var document = JsonText.Parse(payload);
                var root = document.RootElement;
                if (root.ValueKind != JsonValueKind.Object) throw new PayloadException("Claim must be a JSON object.");
                if (root.TryGetProperty("secretKey", out var s) && s.ValueKind != JsonValueKind.Null)
                {
                    secret = s.ValueKind == JsonValueKind.String ? s.GetString()! : s.GetRawText();
                }
                if (root.TryGetProperty("durationMs", out var d) && d.ValueKind != JsonValueKind.Null)
                {
                    if (!d.TryGetInt64(out long ms)) throw new PayloadException("durationMs must be an integer.");
                    if (ms > 0) duration = ms;
                }
            }
            catch (PayloadException e)
            {
                error = e;
            }
        }
        var auth = await _auth.AuthenticateAsync(token, context, cancellationToken).ConfigureAwait(false);
        if (!auth.Succeeded) return auth.Failure!;
        if (error is not null) return Rejected(auth.Device!.Name, "claim", error, context);
        return await EnqueueAsync(auth.Device!.Name, OutboxMessageKind.Claim, UplinkPayloads.Claim(secret, duration), context, [], cancellationToken).ConfigureAwait(false);
    }

    private DeviceApiResult Rejected(string device, string feature, PayloadException e, DeviceRequestContext context)
    {
        DevicesLog.PayloadRejected(_logger, device, feature, e.Message);
        _refusals?.Report(RefusalKind.MalformedJson, context.Source);
        return DeviceApiResult.Invalid(e.Message);
    }

    private async ValueTask<DeviceApiResult> EnqueueAsync(string device, OutboxMessageKind kind, ReadOnlyMemory<byte> payload, DeviceRequestContext context,
        IReadOnlyList<string> attributeKeys, CancellationToken cancellationToken, bool continuesBriefly = false) =>
        Enqueued(await StartEnqueue(device, kind, payload, context, attributeKeys, cancellationToken, continuesBriefly).ConfigureAwait(false), device, kind);

    /// <summary>The outbox's enqueue, without an asynchronous method of its own: a caller that awaits it saves a layer.</summary>
    private ValueTask<EnqueueResult> StartEnqueue(string device, OutboxMessageKind kind, ReadOnlyMemory<byte> payload, DeviceRequestContext context,
        IReadOnlyList<string> attributeKeys, CancellationToken cancellationToken, bool continuesBriefly = false)
    {
        var message = new OutboxMessage(device, kind, payload) { ReceivedAt = _time.GetUtcNow(), AttributeKeys = attributeKeys, ContinuesBriefly = continuesBriefly };
        DedupRecord? dedup = context.ExchangePeer is { } peer ? new DedupRecord(peer, context.MessageId, CreatedMarker, _options.DedupLifetime) : null;
        return _outbox.EnqueueAsync(message, dedup, cancellationToken);
    }

    private DeviceApiResult Enqueued(EnqueueResult result, string device, OutboxMessageKind kind)
    {
        if (result.Status != EnqueueStatus.Refused) return DeviceApiResult.Created;
        DevicesLog.EnqueueRefused(_logger, device, kind.ToString(), result.Refusal.ToString(), result.RetryAfter);
        return DeviceApiResult.Refused(result.RetryAfter);
    }
}
