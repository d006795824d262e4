using System.Net;
using System.Net.Http.Headers;
using Microsoft.Extensions.Logging;

namespace Gateway.Bridge.Firmware;

/// <summary>
/// Fetches a firmware image by <c>fw_url</c> into a partial file on disk, streamed (never whole in memory).
/// An attempt cut short (connection lost, stalled, 5xx) is resumed by the next one with a Range request
/// from the partial file's length (RFC 9110 §14.2), guarded by If-Range with the strong ETag or the
/// Last-Modified date the server gave (§13.1.5), so a changed image is fetched whole again (200, not 206).
/// Attempts are bounded (<see cref="FirmwareOptions.MaxAttempts"/>) and spaced by exponential back-off
/// with jitter on the <see cref="TimeProvider"/>.
/// </summary>
public sealed class FirmwareDownloader(HttpClient http, FirmwareOptions options, FirmwareFigures figures, TimeProvider time, ILogger logger)
{
    private const int BufferSize = 64 * 1024;

    /// <summary>Downloads <paramref name="assignment"/> into <paramref name="partialPath"/> (resuming what it holds).</summary>
    public async Task<DownloadResult> DownloadAsync(FirmwareAssignment assignment, string partialPath, CancellationToken cancellationToken)
    {
        if (Refusal(assignment) is { } refused) return refused;
        for (int attempt = 1; ; attempt++)
        {
            var (result, retry) = await AttemptAsync(assignment, partialPath, cancellationToken).ConfigureAwait(false);
            if (result is not null) return result;
            if (attempt >= options.MaxAttempts)
                return DownloadResult.Refused(FirmwareOutcome.Failed, $"gave up after {attempt} attempts: {retry}");
            var delay = Backoff(attempt);
            figures.Retry();
            FirmwareLog.Retrying(logger, assignment.Device, assignment.Title, assignment.Version, attempt, retry!, delay.TotalSeconds);
            await Task.Delay(delay, time, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Why <paramref name="assignment"/> is refused before any request (its <c>fw_size</c> passes the cap), or null.</summary>
    public DownloadResult? Refusal(FirmwareAssignment assignment) => assignment.Size > options.MaxDownloadBytes
        ? DownloadResult.Refused(FirmwareOutcome.SizeExceeded, $"fw_size {assignment.Size} exceeds the gateway's limit of {options.MaxDownloadBytes} bytes")
        : null;

    /// <summary>min·2^(attempt−1), capped, times a jitter in [0.5, 1) so many gateways behind one outage do not retry in step.</summary>
    internal TimeSpan Backoff(int attempt)
    {
        double seconds = Math.Min(options.RetryMaxSeconds, options.RetryMinSeconds * Math.Pow(2, Math.Min(attempt - 1, 30)));
        return TimeSpan.FromSeconds(seconds * (0.5 + Random.Shared.NextDouble() / 2));
    }

    /// <summary>One request: a final result, or null and why it is worth another attempt.</summary>
    private async Task<(DownloadResult? Result, string? Retry)> AttemptAsync(FirmwareAssignment assignment, string partialPath, CancellationToken cancellationToken)
    {
        long limit = assignment.Size ?? options.MaxDownloadBytes;
        string validatorPath = partialPath + ".validator";
        long have = File.Exists(partialPath) ? new FileInfo(partialPath).Length : 0;
        if (have > limit) have = Restart(partialPath);
        string? validator = have > 0 && File.Exists(validatorPath) ? await File.ReadAllTextAsync(validatorPath, cancellationToken).ConfigureAwait(false) : null;

        using var request = new HttpRequestMessage(HttpMethod.Get, assignment.Url);
        if (have > 0)
        {
            request.Headers.Range = new RangeHeaderValue(have, null);
            if (validator is not null) request.Headers.TryAddWithoutValidation("If-Range", validator);
            figures.Resume();
        }
        using var stall = new CancellationTokenSource(TimeSpan.FromSeconds(options.StallSeconds), time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, stall.Token);
        try
        {
            using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, linked.Token).ConfigureAwait(false);
            var status = (int)response.StatusCode;
            if (response.StatusCode == HttpStatusCode.PartialContent)
            {
                // §14.4: the part must start where the file ends, else the file cannot be continued.
                if (have == 0 || response.Content.Headers.ContentRange is not { From: { } from } || from != have)
                {
                    Restart(partialPath);
                    return (null, "206 for a range that does not continue the partial file; starting over");
                }
            }
            else if (response.StatusCode == HttpStatusCode.OK)
            {
                have = Restart(partialPath); // no range support, or the image changed (If-Range failed)
            }
            else if (response.StatusCode == HttpStatusCode.RequestedRangeNotSatisfiable)
            {
                Restart(partialPath);
                return (null, "416 Range Not Satisfiable; starting over");
            }
            else if (status is 408 or 429 or >= 500)
            {
                return (null, $"HTTP {status}");
            }
            else
            {
                return (DownloadResult.Refused(FirmwareOutcome.Failed, $"HTTP {status} from {Describe(assignment.Url)}"), null);
            }

            long? total = response.StatusCode == HttpStatusCode.PartialContent
                ? response.Content.Headers.ContentRange!.Length ?? have + response.Content.Headers.ContentLength
                : response.Content.Headers.ContentLength;
            if (total > limit)
            {
                Restart(partialPath);
                return (DownloadResult.Refused(FirmwareOutcome.SizeExceeded, $"the image has {total} bytes, more than {Limit(assignment)}"), null);
            }
            if (response.StatusCode == HttpStatusCode.OK) await SaveValidatorAsync(response, validatorPath, cancellationToken).ConfigureAwait(false);

            long written = have;
            var stream = await response.Content.ReadAsStreamAsync(linked.Token).ConfigureAwait(false);
            await using (stream.ConfigureAwait(false))
            {
                var file = new FileStream(partialPath, have == 0 ? FileMode.Create : FileMode.Append, FileAccess.Write, FileShare.None, BufferSize, useAsync: true);
                await using (file.ConfigureAwait(false))
                {
                    var buffer = new byte[BufferSize];
                    while (true)
                    {
                        stall.CancelAfter(TimeSpan.FromSeconds(options.StallSeconds));
                        int read;
                        try
                        {
                            read = await stream.ReadAsync(buffer, linked.Token).ConfigureAwait(false);
                        }
                        catch (Exception e) when (e is IOException or HttpRequestException)
                        {
                            return (null, $"connection lost after {written} bytes");
                        }
                        if (read == 0) break;
                        if (written + read > limit)
                        {
                            await file.DisposeAsync().ConfigureAwait(false);
                            Restart(partialPath);
                            return (DownloadResult.Refused(FirmwareOutcome.SizeExceeded, $"the body passed {Limit(assignment)}"), null);
                        }
                        await file.WriteAsync(buffer.AsMemory(0, read), linked.Token).ConfigureAwait(false);
                        written += read;
                        figures.Received(read);
                    }
                    // Durable before it counts as complete: a power cut must not leave a short file that looks whole.
                    await file.FlushAsync(cancellationToken).ConfigureAwait(false);
                    file.Flush(flushToDisk: true);
                }
            }
            if (total is { } expected && written != expected) return (null, $"body ended after {written} of {expected} bytes");
            if (assignment.Size is { } size && written != size)
            {
                Restart(partialPath);
                return (DownloadResult.Refused(FirmwareOutcome.SizeMismatch, $"the image has {written} bytes, fw_size says {size}"), null);
            }
            return (new DownloadResult(null, null, response.Content.Headers.ContentType?.ToString() ?? "application/octet-stream"), null);
        }
        catch (HttpRequestException e)
        {
            return (null, $"request failed: {e.HttpRequestError}");
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return (null, $"no data for {options.StallSeconds} s");
        }
    }

    private string Limit(FirmwareAssignment assignment) =>
        assignment.Size is { } size ? $"fw_size ({size} bytes)" : $"Firmware:MaxDownloadBytes ({options.MaxDownloadBytes} bytes)";

    /// <summary>Only strong validators may guard a range (RFC 9110 §13.1.5); a weak ETag falls back to Last-Modified.</summary>
    private static async Task SaveValidatorAsync(HttpResponseMessage response, string path, CancellationToken cancellationToken)
    {
        string? validator = response.Headers.ETag is { IsWeak: false } etag ? etag.ToString()
            : response.Content.Headers.LastModified is { } modified ? modified.ToString("R", System.Globalization.CultureInfo.InvariantCulture)
            : null;
        if (validator is null) File.Delete(path);
        else await File.WriteAllTextAsync(path, validator, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Drops the partial file (and its validator); returns 0, the new length.</summary>
    internal static long Restart(string partialPath)
    {
        File.Delete(partialPath);
        File.Delete(partialPath + ".validator");
        return 0;
    }

    /// <summary>Scheme, host and path only: a URL's user info and query often carry a password or signature, which must not reach the log.</summary>
    internal static string Describe(Uri url) => url.GetComponents(UriComponents.SchemeAndServer | UriComponents.Path, UriFormat.UriEscaped);
}
