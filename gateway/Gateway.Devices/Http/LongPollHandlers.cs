using System.Globalization;
using Gateway.Devices.Coap;
using Gateway.Devices.ThingsBoard;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Gateway.Devices.Http;

/// <summary>
/// The two long polls of thingsboard.md §3: <c>GET /api/v1/{token}/attributes/updates?timeout=ms</c> (200 with the
/// flat update of §1.3, 408 without body on timeout) and <c>GET /api/v1/{token}/rpc?timeout=ms</c> (200
/// <c>{"id":n,"method":"…","params":…}</c>, the RPC then Delivered; 408 on timeout). <c>timeout</c> absent or 0 →
/// <see cref="HttpApiOptions.DefaultPollTimeout"/> (ThingsBoard's 60 s), cut to <see cref="HttpApiOptions.MaxPollTimeout"/>;
/// not a non-negative integer → 400. Open polls are capped per device and in total (503 + Retry-After).
/// </summary>
internal sealed class LongPollHandlers(DeviceApi api, DownlinkWaiter waiter, LongPollLimiter limiter, HttpApiOptions options, ILogger<LongPollHandlers> logger)
{
    public Task AttributeUpdatesAsync(HttpContext http) => PollAsync(http, "attribute updates", async (device, timeout) =>
    {
        var update = await waiter.NextAttributesAsync(device, timeout, http.RequestAborted).ConfigureAwait(false);
        if (update is null) await HttpResults.EmptyAsync(http, StatusCodes.Status408RequestTimeout).ConfigureAwait(false);
        else await HttpResults.BodyAsync(http, StatusCodes.Status200OK, update, HttpResults.Json).ConfigureAwait(false);
    });

    public Task RpcAsync(HttpContext http) => PollAsync(http, "rpc", async (device, timeout) =>
    {
        var rpc = await waiter.ClaimRpcAsync(device, timeout, http.RequestAborted).ConfigureAwait(false);
        if (rpc is null)
        {
            await HttpResults.EmptyAsync(http, StatusCodes.Status408RequestTimeout).ConfigureAwait(false);
            return;
        }
        // Same body as the CoAP notification (§1.4: id a JSON number, the queue's id wins, params null when absent).
        var body = RpcDelivery.Notification(rpc.RequestId!.Value, rpc.Payload);
        bool written = false;
        try
        {
            if (!http.RequestAborted.IsCancellationRequested)
            {
                await HttpResults.BodyAsync(http, StatusCodes.Status200OK, body, HttpResults.Json).ConfigureAwait(false);
                await http.Response.CompleteAsync().ConfigureAwait(false);
                written = !http.RequestAborted.IsCancellationRequested;
            }
        }
        finally
        {
            if (written)
            {
                HttpApiLog.RpcDelivered(logger, device, rpc.RequestId.Value);
            }
            else
            {
                HttpApiLog.RpcReleased(logger, device, rpc.RequestId.Value);
                await waiter.ReleaseAsync(rpc).ConfigureAwait(false);
            }
        }
    });

    private async Task PollAsync(HttpContext http, string feature, Func<string, TimeSpan, Task> wait)
    {
        if (!TryTimeout(http, out var timeout))
        {
            await HttpResults.ErrorAsync(http, StatusCodes.Status400BadRequest, "timeout must be a non-negative integer (milliseconds).").ConfigureAwait(false);
            return;
        }
        try
        {
            var auth = await api.Authenticator.AuthenticateAsync(HttpResults.Route(http, "token"), HttpResults.RequestContext(http), http.RequestAborted).ConfigureAwait(false);
            if (!auth.Succeeded)
            {
                await HttpResults.WriteAsync(http, auth.Failure!).ConfigureAwait(false);
                return;
            }
            var device = auth.Device!.Name;
            if (limiter.TryEnter(device) is { } refusal)
            {
                HttpApiLog.LongPollRefused(logger, device, refusal);
                await HttpResults.UnavailableAsync(http, options.BusyRetryAfter).ConfigureAwait(false);
                return;
            }
            try
            {
                await wait(device, timeout).ConfigureAwait(false);
            }
            finally
            {
                limiter.Exit(device);
            }
        }
        catch (OperationCanceledException) when (http.RequestAborted.IsCancellationRequested)
        {
            // The device hung up; nothing to answer.
        }
        catch (Exception e) when (e is not OperationCanceledException && !http.Response.HasStarted)
        {
            HttpApiLog.RequestFailed(logger, feature, HttpResults.Source(http), e);
            await HttpResults.ErrorAsync(http, StatusCodes.Status500InternalServerError, "Internal error.").ConfigureAwait(false);
        }
    }

    private bool TryTimeout(HttpContext http, out TimeSpan timeout)
    {
        timeout = options.DefaultPollTimeout;
        var text = http.Request.Query["timeout"].ToString();
        if (text.Length == 0) return true;
        if (!long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out long ms)) return false;
        if (ms > 0) timeout = TimeSpan.FromMilliseconds(Math.Min(ms, (long)options.MaxPollTimeout.TotalMilliseconds));
        return true;
    }
}
