using System.Globalization;
using System.Text.Json;
using Gateway.Devices.ThingsBoard;
using Microsoft.AspNetCore.Http;

namespace Gateway.Devices.Http;

/// <summary>
/// Maps <see cref="DeviceApiResult"/> to ThingsBoard's HTTP answers (thingsboard.md §3). The CoAP twin is
/// <c>Coap/CoapResults</c>; the differences are §3's: every success is 200, an empty attribute read is
/// 200 <c>{}</c> (not 4.04), provisioning is 200 with the status in the body.
/// </summary>
internal static class HttpResults
{
    public const string Json = "application/json";

    private static readonly byte[] EmptyObject = "{}"u8.ToArray();

    /// <summary>
    /// Created → 200 empty; Content → 200 with the body; BadRequest → 400 <c>{"error":…}</c> (deviation: ThingsBoard
    /// answers malformed JSON with 500 and the parser's message, §3 — a client error is a 4xx here); Unauthorized → 401
    /// empty; Silent → 401 as well (HTTP has no "no answer"; no lookup was made, as in CoAP); NotFound → 404;
    /// Unavailable → 503 + Retry-After (with the result's JSON body if it has one); GatewayTimeout → 408 with the body
    /// (a forwarded client-side RPC the cloud left unanswered: ThingsBoard's own HTTP code for that, §3); InternalError → 500 (§2.4: valid JSON of the wrong kind, e.g. an RPC reply array).
    /// </summary>
    public static Task WriteAsync(HttpContext context, DeviceApiResult result) => result.Status switch
    {
        DeviceApiStatus.Created or DeviceApiStatus.Valid => EmptyAsync(context, StatusCodes.Status200OK),
        DeviceApiStatus.Content => BodyAsync(context, StatusCodes.Status200OK, result.Body, result.ContentType ?? Json),
        DeviceApiStatus.BadRequest => ErrorAsync(context, StatusCodes.Status400BadRequest, result.Diagnostic ?? "Bad request."),
        DeviceApiStatus.Unauthorized or DeviceApiStatus.Silent => EmptyAsync(context, StatusCodes.Status401Unauthorized),
        DeviceApiStatus.NotFound => EmptyAsync(context, StatusCodes.Status404NotFound),
        DeviceApiStatus.Unavailable when result.Body.IsEmpty => UnavailableAsync(context, result.RetryAfter),
        DeviceApiStatus.Unavailable => UnavailableAsync(context, result.RetryAfter, result.Body),
        DeviceApiStatus.GatewayTimeout => BodyAsync(context, StatusCodes.Status408RequestTimeout, result.Body, Json),
        _ => ErrorAsync(context, StatusCodes.Status500InternalServerError, result.Diagnostic ?? "Internal error."),
    };

    /// <summary>§3: <c>GET …/attributes</c> with nothing matching answers 200 <c>{}</c>, unlike CoAP's 4.04.</summary>
    public static Task WriteAttributesAsync(HttpContext context, DeviceApiResult result) =>
        result.Status == DeviceApiStatus.NotFound ? BodyAsync(context, StatusCodes.Status200OK, EmptyObject, Json) : WriteAsync(context, result);

    /// <summary>§3/§1.6: provisioning answers 200 with the status JSON for SUCCESS, NOT_FOUND and FAILURE alike.</summary>
    public static Task WriteProvisionAsync(HttpContext context, DeviceApiResult result) =>
        result.Status is DeviceApiStatus.Created or DeviceApiStatus.BadRequest && !result.Body.IsEmpty
            ? BodyAsync(context, StatusCodes.Status200OK, result.Body, Json)
            : WriteAsync(context, result);

    public static Task EmptyAsync(HttpContext context, int status)
    {
        context.Response.StatusCode = status;
        context.Response.ContentLength = 0;
        return Task.CompletedTask;
    }

    public static async Task BodyAsync(HttpContext context, int status, ReadOnlyMemory<byte> body, string contentType)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = contentType;
        context.Response.ContentLength = body.Length;
        await context.Response.Body.WriteAsync(body, context.RequestAborted).ConfigureAwait(false);
    }

    /// <summary>A one-line JSON error <c>{"error":"…"}</c>; the message never contains a credential.</summary>
    public static Task ErrorAsync(HttpContext context, int status, string message)
    {
        var body = Gateway.Domain.JsonBytes.Of([new KeyValuePair<string, string>("error", message)]);
        return BodyAsync(context, status, body, Json);
    }

    /// <summary>503 with Retry-After in whole seconds (at least 1): storage refused, a cap was reached, or the gateway ran out of time.</summary>
    public static Task UnavailableAsync(HttpContext context, TimeSpan retryAfter)
    {
        context.Response.Headers.RetryAfter = Math.Max(1, (long)Math.Ceiling(retryAfter.TotalSeconds)).ToString(CultureInfo.InvariantCulture);
        return ErrorAsync(context, StatusCodes.Status503ServiceUnavailable, "Service unavailable, retry later.");
    }

    /// <summary>503 with Retry-After and a JSON body of the caller's (client-side RPC: <c>{"error":"cloud unavailable"}</c>).</summary>
    public static Task UnavailableAsync(HttpContext context, TimeSpan retryAfter, ReadOnlyMemory<byte> body)
    {
        context.Response.Headers.RetryAfter = Math.Max(1, (long)Math.Ceiling(retryAfter.TotalSeconds)).ToString(CultureInfo.InvariantCulture);
        return BodyAsync(context, StatusCodes.Status503ServiceUnavailable, body, Json);
    }

    /// <summary>
    /// The failure limiter's source key: the client address without port, an IPv4-mapped IPv6 address as IPv4 (so a
    /// device counts the same on the dual-stack listener and on CoAP). An HTTP request has no retransmission key, so
    /// <see cref="DeviceRequestContext.ExchangePeer"/> is null: a device that repeats a POST whose answer it lost
    /// creates a second row (at-least-once, as with ThingsBoard itself; a device-side <c>ts</c> makes it idempotent upstream).
    /// </summary>
    public static DeviceRequestContext RequestContext(HttpContext context) => new(Source(context));

    public static string Source(HttpContext context)
    {
        var address = context.Connection.RemoteIpAddress;
        if (address is null) return "unknown";
        return (address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address).ToString();
    }

    public static string Route(HttpContext context, string name) => context.Request.RouteValues[name] as string ?? "";
}
