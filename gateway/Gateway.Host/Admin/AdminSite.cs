using System.Text;
using Gateway.Domain;
using Microsoft.AspNetCore.Http;

namespace Gateway.Host.Admin;

/// <summary>
/// Every request on the admin port: <c>GET /</c> the status page, <c>GET /api/status</c> its figures;
/// read-only, so any other method is 405. When <paramref name="authentication"/> is set (Admin:Bind is
/// not loopback) a request without the credential is 401 before anything else is looked at, and an
/// address that keeps guessing wrong is 429 for a while (<see cref="AuthenticationThrottle"/>).
/// </summary>
public sealed class AdminSite(AdminStatusDocument document, BasicAuthentication? authentication, AuthenticationThrottle throttle)
{
    // The page's own policy enforces "nothing from elsewhere": scripts, styles and fetches from this origin only.
    private const string PagePolicy = "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";
    private static readonly Lazy<byte[]> Page = new(StatusPage.Read);

    /// <summary>Answers 429 or 401 itself and returns false unless the request carries a right credential.</summary>
    private async Task<bool> AuthorizeAsync(HttpContext context, BasicAuthentication authentication)
    {
        var response = context.Response;
        var remote = context.Connection.RemoteIpAddress;
        var wait = throttle.RetryAfter(remote);
        if (wait > TimeSpan.Zero)
        {
            // RFC 6585 §4: 429 with Retry-After; no credential is checked meanwhile.
            var seconds = (int)Math.Ceiling(wait.TotalSeconds);
            response.StatusCode = StatusCodes.Status429TooManyRequests;
            response.Headers.RetryAfter = seconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
            await response.WriteAsync($"too many failed sign-ins from this address; retry in {seconds} s\n", context.RequestAborted).ConfigureAwait(false);
            return false;
        }
        string? header = context.Request.Headers.Authorization;
        if (authentication.IsAuthorized(header))
        {
            throttle.Succeeded(remote);
            return true;
        }
        if (header is not null) throttle.Failed(remote);
        response.StatusCode = StatusCodes.Status401Unauthorized;
        response.Headers.WWWAuthenticate = BasicAuthentication.Challenge;
        await response.WriteAsync("authentication required\n", context.RequestAborted).ConfigureAwait(false);
        return false;
    }

    public async Task HandleAsync(HttpContext context)
    {
        var response = context.Response;
        response.Headers.CacheControl = "no-store";
        response.Headers.XContentTypeOptions = "nosniff";
        response.Headers["Referrer-Policy"] = "no-referrer";
        if (authentication is not null && !await AuthorizeAsync(context, authentication).ConfigureAwait(false)) return;
        if (!HttpMethods.IsGet(context.Request.Method) && !HttpMethods.IsHead(context.Request.Method))
        {
            response.StatusCode = StatusCodes.Status405MethodNotAllowed;
            response.Headers.Allow = "GET, HEAD";
            return;
        }
        switch (context.Request.Path.Value)
        {
            case "/" or "/index.html":
                response.ContentType = "text/html; charset=utf-8";
                response.Headers.ContentSecurityPolicy = PagePolicy;
                response.Headers.XFrameOptions = "DENY";
                await response.Body.WriteAsync(Page.Value, context.RequestAborted).ConfigureAwait(false);
                return;
            case "/api/status":
                var body = JsonBytes.Of(await document.BuildAsync(context.RequestAborted).ConfigureAwait(false));
                response.ContentType = "application/json; charset=utf-8";
                await response.Body.WriteAsync(body, context.RequestAborted).ConfigureAwait(false);
                return;
            default:
                response.StatusCode = StatusCodes.Status404NotFound;
                await response.WriteAsync("not found: the admin port serves / and /api/status\n", Encoding.UTF8, context.RequestAborted).ConfigureAwait(false);
                return;
        }
    }
}
