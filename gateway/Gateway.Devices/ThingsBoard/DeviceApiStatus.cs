namespace Gateway.Devices.ThingsBoard;

/// <summary>
/// Outcome of a device API call, independent of the transport. The CoAP adapter maps it to the codes
/// of thingsboard.md §2.4, the HTTP adapter to §3 (see the README's table).
/// </summary>
public enum DeviceApiStatus : byte
{
    /// <summary>A write was committed (CoAP 2.01, HTTP 200).</summary>
    Created,
    /// <summary>A read or a client-side RPC answer, body attached (CoAP 2.05, HTTP 200).</summary>
    Content,
    /// <summary>RPC observe registered, nothing to send yet (CoAP 2.03).</summary>
    Valid,
    /// <summary>Malformed request, payload or unknown feature (CoAP 4.00; HTTP: ThingsBoard answers 500 for bad JSON, 400 for a bad RPC id).</summary>
    BadRequest,
    /// <summary>Unknown token (CoAP 4.01, HTTP 401). Never says whether a device exists.</summary>
    Unauthorized,
    /// <summary>Nothing matched (CoAP 4.04; HTTP: attributes GET answers 200 <c>{}</c>, firmware 404).</summary>
    NotFound,
    /// <summary>
    /// Storage refused the write, or the cloud link is down for a forwarded client-side RPC (CoAP 5.03 +
    /// Max-Age = <see cref="DeviceApiResult.RetryAfter"/>; HTTP 503 + Retry-After). A body, when present, is sent.
    /// </summary>
    Unavailable,
    /// <summary>
    /// The cloud did not reply to a forwarded client-side RPC in time (CoAP 5.04 with the JSON body; HTTP 408, the
    /// code ThingsBoard's own HTTP API gives then, §3). ThingsBoard's CoAP transport sends nothing at all (§2.4).
    /// </summary>
    GatewayTimeout,
    /// <summary>A valid JSON body of the wrong kind where ThingsBoard throws inside its callback (CoAP 5.00, HTTP 500).</summary>
    InternalError,
    /// <summary>The source address exceeded the authentication-failure limit: answer nothing.</summary>
    Silent,
}
