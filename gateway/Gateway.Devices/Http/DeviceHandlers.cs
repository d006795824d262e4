using Gateway.Devices.Refusals;
using Gateway.Devices.ThingsBoard;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Gateway.Devices.Http;

/// <summary>
/// The request/response endpoints of thingsboard.md §3 over the shared <see cref="DeviceApi"/> and
/// <see cref="ProvisioningService"/>: every body is read with its cap (413), every call bounded by
/// <see cref="HttpApiOptions.RequestTimeout"/>; a 200 to a write means the outbox commit returned.
/// </summary>
internal sealed class DeviceHandlers(DeviceApi api, ProvisioningService provisioning, HttpApiOptions options, TimeProvider time, ILogger<DeviceHandlers> logger,
    RefusalLog? refusals = null)
{
    private delegate ValueTask<DeviceApiResult> Call(ReadOnlyMemory<byte> body, DeviceRequestContext context, CancellationToken cancellationToken);

    /// <summary><c>POST /api/v1/{token}/telemetry</c>: §1.2 forms; 200 empty after the commit.</summary>
    public Task TelemetryAsync(HttpContext http) => PostAsync(http, "telemetry", options.MaxPayloadBytes,
        (body, context, ct) => api.IngestTelemetryAsync(Token(http), body, context, ct), HttpResults.WriteAsync);

    /// <summary><c>POST /api/v1/{token}/attributes</c>: a JSON object (§1.3); 200 empty after the commit.</summary>
    public Task PostAttributesAsync(HttpContext http) => PostAsync(http, "attributes", options.MaxPayloadBytes,
        (body, context, ct) => api.PostClientAttributesAsync(Token(http), body, context, ct), HttpResults.WriteAsync);

    /// <summary><c>POST /api/v1/{token}/rpc/{id}</c>: the device's reply; §3 caps <c>/rpc/**</c> bodies at 64 KiB, a non-integer id is 400.</summary>
    public Task RpcReplyAsync(HttpContext http) => PostAsync(http, "rpc reply", options.MaxRpcPayloadBytes,
        (body, context, ct) => api.PostRpcReplyAsync(Token(http), HttpResults.Route(http, "id"), body, context, ct), HttpResults.WriteAsync);

    /// <summary>
    /// <c>POST /api/v1/{token}/rpc</c>: client-side RPC (§1.4), 200 with the reply or <c>{"error":…}</c>. Deviation:
    /// a body without <c>method</c> is 400 (ThingsBoard: 500); a missing <c>params</c> is accepted (ThingsBoard: 500).
    /// </summary>
    public Task ClientRpcAsync(HttpContext http) => PostAsync(http, "client rpc", options.MaxRpcPayloadBytes,
        (body, context, ct) => api.ClientRpcAsync(Token(http), body, context, ct), HttpResults.WriteAsync);

    /// <summary><c>POST /api/v1/{token}/claim</c>: §1.5, empty body allowed; 200 empty after the commit.</summary>
    public Task ClaimAsync(HttpContext http) => PostAsync(http, "claim", options.MaxPayloadBytes,
        (body, context, ct) => api.ClaimAsync(Token(http), body, context, ct), HttpResults.WriteAsync);

    /// <summary><c>POST /api/v1/provision</c>: 200 with the §1.6 status JSON whatever the status (§3); malformed JSON 400 (ThingsBoard: 500).</summary>
    public Task ProvisionAsync(HttpContext http) => PostAsync(http, "provision", options.MaxPayloadBytes,
        (body, context, ct) => provisioning.ProvisionAsync(body, context, ct), HttpResults.WriteProvisionAsync);

    /// <summary>
    /// <c>GET /api/v1/{token}/attributes?clientKeys=a,b&amp;sharedKeys=c</c>: <c>{"client":{…},"shared":{…}}</c>, no keys →
    /// everything; nothing found → 200 <c>{}</c> (§3, unlike CoAP's 4.04).
    /// </summary>
    public async Task GetAttributesAsync(HttpContext http)
    {
        using var timeout = Timeout(http);
        var clientKeys = Keys(http, "clientKeys");
        var sharedKeys = Keys(http, "sharedKeys");
        await RunAsync(http, "attributes", timeout.Token, async ct =>
            await HttpResults.WriteAttributesAsync(http, await api.GetAttributesAsync(Token(http), clientKeys, sharedKeys, HttpResults.RequestContext(http), ct).ConfigureAwait(false))
                .ConfigureAwait(false)).ConfigureAwait(false);
    }

    private async Task PostAsync(HttpContext http, string feature, int limit, Call call, Func<HttpContext, DeviceApiResult, Task> write)
    {
        using var timeout = Timeout(http);
        ReadOnlyMemory<byte>? body;
        try
        {
            body = await RequestBody.ReadAsync(http.Request, limit, timeout.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!http.RequestAborted.IsCancellationRequested)
        {
            // Kestrel's MinRequestBodyDataRate catches a trickle; this catches a body that never ends.
            string source = HttpResults.Source(http);
            HttpApiLog.RequestTimedOut(logger, feature, source, "body");
            refusals?.Report(RefusalKind.BodyTimeout, source);
            await HttpResults.EmptyAsync(http, StatusCodes.Status408RequestTimeout).ConfigureAwait(false);
            return;
        }
        catch (Exception e) when (e is OperationCanceledException or IOException or BadHttpRequestException)
        {
            return; // the client went away or sent a broken body: nobody to answer
        }
        if (body is not { } payload)
        {
            string source = HttpResults.Source(http);
            HttpApiLog.PayloadTooLarge(logger, feature, source, limit);
            refusals?.Report(RefusalKind.TooLarge, source);
            await HttpResults.ErrorAsync(http, StatusCodes.Status413PayloadTooLarge, $"Payload larger than {limit} bytes.").ConfigureAwait(false);
            return;
        }
        await RunAsync(http, feature, timeout.Token, async ct =>
            await write(http, await call(payload, HttpResults.RequestContext(http), ct).ConfigureAwait(false)).ConfigureAwait(false)).ConfigureAwait(false);
    }

    /// <summary>Runs a service call: out of time → 503 + Retry-After (nothing is acknowledged); an unexpected failure → 500, logged.</summary>
    private async Task RunAsync(HttpContext http, string feature, CancellationToken cancellationToken, Func<CancellationToken, Task> run)
    {
        try
        {
            await run(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (http.RequestAborted.IsCancellationRequested)
        {
        }
        catch (OperationCanceledException) when (!http.Response.HasStarted)
        {
            HttpApiLog.RequestTimedOut(logger, feature, HttpResults.Source(http), "service");
            await HttpResults.UnavailableAsync(http, options.BusyRetryAfter).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OperationCanceledException && !http.Response.HasStarted)
        {
            HttpApiLog.RequestFailed(logger, feature, HttpResults.Source(http), e);
            await HttpResults.ErrorAsync(http, StatusCodes.Status500InternalServerError, "Internal error.").ConfigureAwait(false);
        }
    }

    private RequestDeadline Timeout(HttpContext http) => new(http.RequestAborted, options.RequestTimeout, time);

    private static string Token(HttpContext http) => HttpResults.Route(http, "token");

    /// <summary>A comma list (§2.3's simple split); null when the parameter is absent.</summary>
    private static IReadOnlyCollection<string>? Keys(HttpContext http, string name) =>
        http.Request.Query.TryGetValue(name, out var values)
            ? values.SelectMany(v => (v ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)).ToList()
            : null;
}
