using Gateway.Bridge.Firmware;
using Gateway.TestKit;
using Microsoft.Extensions.Logging.Abstractions;

namespace Gateway.Bridge.Tests.Firmware;

/// <summary>
/// <see cref="FirmwareDownloader"/> against <see cref="FirmwareHttpServer"/> on a loopback port: resumes with Range
/// (and If-Range) after a dropped connection and after a restart, refuses what passes the size cap, gives up after
/// the attempts, and spaces attempts by back-off on the <see cref="TimeProvider"/>.
/// </summary>
public sealed class FirmwareDownloaderTests : IDisposable
{
    private readonly FirmwareHttpServer _server = new();
    private readonly string _directory = Directory.CreateTempSubdirectory("fw-download-").FullName;
    private readonly FirmwareFigures _figures = new();
    private readonly byte[] _image = Image(5000);

    public FirmwareDownloaderTests() => _server.Serve("images/fw.bin", _image);

    private string Partial => Path.Combine(_directory, "a.part");

    internal static byte[] Image(int length)
    {
        var bytes = new byte[length];
        new Random(length).NextBytes(bytes);
        return bytes;
    }

    private FirmwareDownloader Downloader(FirmwareOptions? options = null, TimeProvider? time = null) =>
        new(new HttpClient(), options ?? new FirmwareOptions { RetryMinSeconds = 0.01, RetryMaxSeconds = 0.02 }, _figures, time ?? TimeProvider.System, NullLogger.Instance);

    private FirmwareAssignment Assignment(long? size = 5000, string path = "images/fw.bin") =>
        new("Dev A", "fw", "1.0", new Uri(_server.Url(path)), size, null, null, new Dictionary<string, string>());

    [Fact]
    public async Task DroppedConnection_IsResumedWithRangeAndIfRange_ByteExact()
    {
        _server.DropAfter = 1200;
        _server.DropCount = 2;

        var result = await Downloader().DownloadAsync(Assignment(), Partial, CancellationToken.None);

        Assert.True(result.Complete, result.Error);
        Assert.Equal(_image, await File.ReadAllBytesAsync(Partial));
        var requests = _server.Requests.ToArray();
        Assert.Equal(3, requests.Length);
        Assert.False(requests[0].Headers.ContainsKey("range"));
        Assert.Equal("bytes=1200-", requests[1].Headers["range"]);
        Assert.Equal("bytes=2400-", requests[2].Headers["range"]);
        Assert.StartsWith("\"", requests[1].Headers["if-range"], StringComparison.Ordinal);  // the strong ETag of the first answer
        Assert.Equal(2, _figures.Retries);
        Assert.Equal(2, _figures.Resumes);
    }

    [Fact]
    public async Task PartialFileFromBeforeARestart_IsContinued()
    {
        await File.WriteAllBytesAsync(Partial, _image[..1500]);

        var result = await Downloader().DownloadAsync(Assignment(), Partial, CancellationToken.None);

        Assert.True(result.Complete, result.Error);
        Assert.Equal(_image, await File.ReadAllBytesAsync(Partial));
        var request = Assert.Single(_server.Requests);
        Assert.Equal("bytes=1500-", request.Headers["range"]);
        Assert.False(request.Headers.ContainsKey("if-range"));  // no validator was saved with it
    }

    [Fact]
    public async Task ChangedImage_FailsIfRange_AndIsFetchedWhole()
    {
        await File.WriteAllBytesAsync(Partial, _image[..1500]);
        await File.WriteAllTextAsync(Partial + ".validator", "\"an-older-image\"");

        var result = await Downloader().DownloadAsync(Assignment(), Partial, CancellationToken.None);

        Assert.True(result.Complete, result.Error);
        Assert.Equal(_image, await File.ReadAllBytesAsync(Partial));    // 200 with the whole image replaced the stale bytes
        Assert.Equal("\"an-older-image\"", Assert.Single(_server.Requests).Headers["if-range"]);
    }

    [Theory]
    [InlineData(null, 1000L)]    // no fw_size: the configured cap decides, from Content-Length
    [InlineData(4000L, 1L << 20)] // fw_size smaller than the image: the body may not pass fw_size
    public async Task ImageLargerThanAllowed_IsRefused_AndThePartialDeleted(long? size, long cap)
    {
        var result = await Downloader(new FirmwareOptions { MaxDownloadBytes = cap }).DownloadAsync(Assignment(size), Partial, CancellationToken.None);

        Assert.Equal(FirmwareOutcome.SizeExceeded, result.Outcome);
        Assert.False(File.Exists(Partial));
    }

    [Fact]
    public async Task FwSizeAboveTheCap_IsRefused_WithoutARequest()
    {
        var result = await Downloader(new FirmwareOptions { MaxDownloadBytes = 4999 }).DownloadAsync(Assignment(), Partial, CancellationToken.None);

        Assert.Equal(FirmwareOutcome.SizeExceeded, result.Outcome);
        Assert.Contains("4999", result.Error, StringComparison.Ordinal);
        Assert.Empty(_server.Requests);
    }

    [Fact]
    public async Task NotFound_FailsAtOnce()
    {
        var result = await Downloader().DownloadAsync(Assignment(path: "missing.bin"), Partial, CancellationToken.None);

        Assert.Equal(FirmwareOutcome.Failed, result.Outcome);
        Assert.Equal("HTTP 404 from " + _server.Url("missing.bin"), result.Error);
        Assert.Single(_server.Requests);
    }

    [Fact]
    public async Task AttemptsAreBounded()
    {
        _server.DropAfter = 100;
        _server.DropCount = 1000;

        var result = await Downloader(new FirmwareOptions { MaxAttempts = 3, RetryMinSeconds = 0.01, RetryMaxSeconds = 0.01 })
            .DownloadAsync(Assignment(), Partial, CancellationToken.None);

        Assert.Equal(FirmwareOutcome.Failed, result.Outcome);
        Assert.StartsWith("gave up after 3 attempts: ", result.Error, StringComparison.Ordinal);
        Assert.Equal(3, _server.Requests.Count);
    }

    [Fact]
    public async Task NextAttempt_WaitsForTheBackoff_OnTheTimeProvider()
    {
        _server.DropAfter = 100;
        _server.DropCount = 1;
        var time = new ManualTimeProvider();
        var download = Downloader(new FirmwareOptions { RetryMinSeconds = 10, RetryMaxSeconds = 60 }, time).DownloadAsync(Assignment(), Partial, CancellationToken.None);

        for (int i = 0; i < 500 && _figures.Retries == 0; i++) await Task.Delay(10);
        Assert.Equal(1, _figures.Retries);
        time.Advance(TimeSpan.FromSeconds(4.9));                 // the first back-off is 10 s × [0.5, 1)
        await Task.Delay(100);
        Assert.Single(_server.Requests);
        time.Advance(TimeSpan.FromSeconds(5.1));
        var result = await download.WaitAsync(TimeSpan.FromSeconds(15));

        Assert.True(result.Complete, result.Error);
        Assert.Equal(2, _server.Requests.Count);
    }

    [Fact]
    public void Backoff_DoublesWithJitter_UpToTheMaximum()
    {
        var downloader = Downloader(new FirmwareOptions { RetryMinSeconds = 2, RetryMaxSeconds = 300 });
        for (int i = 0; i < 100; i++)
        {
            Assert.InRange(downloader.Backoff(1).TotalSeconds, 1, 2);
            Assert.InRange(downloader.Backoff(3).TotalSeconds, 4, 8);
            Assert.InRange(downloader.Backoff(40).TotalSeconds, 150, 300);
        }
    }

    [Fact]
    public void LoggedUrl_HasNoUserInfoOrQuery() =>
        Assert.Equal("https://cdn.example/fw/a.bin", FirmwareDownloader.Describe(new Uri("https://user:secret@cdn.example/fw/a.bin?sig=abc")));

    public void Dispose()
    {
        _server.Dispose();
        _figures.Dispose();
        Directory.Delete(_directory, recursive: true);
    }
}
