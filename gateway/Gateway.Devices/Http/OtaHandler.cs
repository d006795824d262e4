using System.Globalization;
using Gateway.Devices.ThingsBoard;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Net.Http.Headers;

namespace Gateway.Devices.Http;

/// <summary>
/// <c>GET /api/v1/{token}/firmware?title=&amp;version=&amp;size=&amp;chunk=</c> and <c>/software</c> (thingsboard.md §3) over the
/// shared <see cref="OtaService"/>. Unlike CoAP (§2.8) <c>title</c> and <c>version</c> are required (400 when missing
/// or not the assigned package); no package → 404; 200 with the range (a chunk, or the whole file when size is 0),
/// <c>Content-Disposition: attachment;filename=…</c>, <c>x-filename</c> and the package's Content-Type. The range is
/// streamed in <see cref="HttpApiOptions.OtaSliceBytes"/> slices, so a whole image is never held in memory.
/// Deviation: the file name is <c>{title}-{version}</c> (the content store keeps no original file name); a chunk past
/// the end is 200 with an empty body.
/// </summary>
internal sealed class OtaHandler(OtaService ota, HttpApiOptions options, ILogger<OtaHandler> logger)
{
    public Task FirmwareAsync(HttpContext http) => ServeAsync(http, OtaPackageType.Firmware);

    public Task SoftwareAsync(HttpContext http) => ServeAsync(http, OtaPackageType.Software);

    private async Task ServeAsync(HttpContext http, OtaPackageType type)
    {
        var query = http.Request.Query;
        string title = query["title"].ToString(), version = query["version"].ToString();
        if (title.Length == 0 || version.Length == 0)
        {
            await HttpResults.ErrorAsync(http, StatusCodes.Status400BadRequest, "title and version are required.").ConfigureAwait(false);
            return;
        }
        if (!TryLong(query["size"].ToString(), out long size) || !TryLong(query["chunk"].ToString(), out long chunk))
        {
            await HttpResults.ErrorAsync(http, StatusCodes.Status400BadRequest, "size and chunk must be non-negative integers.").ConfigureAwait(false);
            return;
        }
        string token = HttpResults.Route(http, "token");
        var context = HttpResults.RequestContext(http);
        var cancellationToken = http.RequestAborted;
        try
        {
            var first = await ota.ReadAsync(token, type, title, version, size, chunk, 0, options.OtaSliceBytes, context, cancellationToken).ConfigureAwait(false);
            if (first.Status != DeviceApiStatus.Content)
            {
                await HttpResults.WriteAsync(http, first).ConfigureAwait(false);
                return;
            }
            var response = http.Response;
            string fileName = $"{title}-{version}";
            response.StatusCode = StatusCodes.Status200OK;
            response.ContentType = first.ContentType ?? "application/octet-stream";
            response.ContentLength = first.TotalSize;
            response.Headers[HeaderNames.ContentDisposition] = new ContentDispositionHeaderValue("attachment") { FileNameStar = fileName, FileName = fileName }.ToString();
            response.Headers["x-filename"] = fileName;
            await response.Body.WriteAsync(first.Body, cancellationToken).ConfigureAwait(false);
            long sent = first.Body.Length;
            while (sent < first.TotalSize)
            {
                var next = await ota.ReadAsync(token, type, title, version, size, chunk, sent, options.OtaSliceBytes, context, cancellationToken).ConfigureAwait(false);
                if (next.Status != DeviceApiStatus.Content || next.Body.IsEmpty)
                {
                    // Replaced or unassigned mid-transfer: the promised Content-Length cannot be kept.
                    HttpApiLog.OtaTruncated(logger, type.ToString());
                    http.Abort();
                    return;
                }
                await response.Body.WriteAsync(next.Body, cancellationToken).ConfigureAwait(false);
                sent += next.Body.Length;
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
        catch (Exception e) when (e is not OperationCanceledException && !http.Response.HasStarted)
        {
            HttpApiLog.RequestFailed(logger, type.ToString(), HttpResults.Source(http), e);
            await HttpResults.ErrorAsync(http, StatusCodes.Status500InternalServerError, "Internal error.").ConfigureAwait(false);
        }
    }

    private static bool TryLong(string text, out long value)
    {
        value = 0;
        return text.Length == 0 || long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out value);
    }
}
