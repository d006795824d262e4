using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Gateway.Bridge.Firmware;
using Gateway.Domain;
using Gateway.Storage;
using Gateway.Storage.Attributes;
using Gateway.Storage.Content;
using Gateway.Storage.Outbox;
using Gateway.TestKit;
using Microsoft.Extensions.Logging.Abstractions;

namespace Gateway.Bridge.Tests.Firmware;

/// <summary>
/// <see cref="FirmwareDownloads"/> on real SQLite storage with <see cref="FirmwareHttpServer"/>: the device's
/// <c>fw_*</c> attributes reach the cache and the signal only after the image is verified and stored; a wrong
/// checksum never does; downloads wait for the cloud link and survive a restart; <c>fw_state</c> goes upstream.
/// </summary>
public sealed class FirmwareDownloadsTests : IAsyncDisposable
{
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(15);
    private readonly FirmwareHttpServer _server = new();
    private readonly string _directory = Directory.CreateTempSubdirectory("fw-downloads-").FullName;
    private readonly SqliteDatabase _database;
    private readonly SqliteOutbox _outbox;
    private readonly SqliteContentStore _content;
    private readonly SqliteAttributeStore _attributes;
    private readonly DownlinkSignal _signal = new();
    private readonly List<DownlinkEvent> _signals = [];
    private readonly Link _link = new();
    private readonly FirmwareFigures _figures = new();
    private readonly byte[] _image = FirmwareDownloaderTests.Image(3000);
    private FirmwareDownloads? _downloads;

    public FirmwareDownloadsTests()
    {
        _database = SqliteDatabase.Open(new StorageOptions { DataDir = _directory, MinFreeBytes = 0, IntegrityCheckOnOpen = IntegrityCheck.None });
        _outbox = new SqliteOutbox(_database);
        _content = new SqliteContentStore(_database);
        _attributes = new SqliteAttributeStore(_database);
        _signal.Subscribe(e => { lock (_signals) _signals.Add(e); });
        _server.Serve("fw.bin", _image);
    }

    private sealed class Link : ICloudLink
    {
        public bool IsConnected { get; set; } = true;

        public Task<JsonObject?> RequestAttributesAsync(string device, bool client, IReadOnlyList<string> keys, CancellationToken cancellationToken) => Task.FromResult<JsonObject?>(null);

        public Task<JsonNode?> CallRpcAsync(string device, string method, JsonNode? parameters, CancellationToken cancellationToken) => Task.FromResult<JsonNode?>(null);
    }

    private FirmwareDownloads Create()
    {
        var options = new FirmwareOptions { RetryMinSeconds = 0.01, RetryMaxSeconds = 0.02 };
        var downloader = new FirmwareDownloader(new HttpClient(), options, _figures, TimeProvider.System, NullLogger.Instance);
        return new FirmwareDownloads(_content, _attributes, _signal, _outbox, _link, downloader, options, _figures,
            Path.Combine(_directory, "firmware-partial"), TimeProvider.System, NullLogger<FirmwareDownloads>.Instance);
    }

    private Dictionary<string, string> Update(string checksum, string algorithm = "SHA256") => new(StringComparer.Ordinal)
    {
        ["fw_title"] = "\"fw\"",
        ["fw_version"] = "\"1.0\"",
        ["fw_size"] = "3000",
        ["fw_checksum_algorithm"] = $"\"{algorithm}\"",
        ["fw_checksum"] = $"\"{checksum}\"",
        ["fw_url"] = $"\"{_server.Url("fw.bin")}\"",
    };

    private string Sha256 => Convert.ToHexStringLower(SHA256.HashData(_image));

    private async Task<IReadOnlyList<AttributeValue>> FirmwareAttributesAsync() =>
        await _attributes.GetAsync("Dev A", AttributeScope.Shared, ["fw_title", "fw_version", "fw_size", "fw_checksum", "fw_url"]);

    private async Task<List<string>> StatesAsync()
    {
        var rows = await _outbox.LeaseAsync(100, TimeSpan.FromMinutes(1));
        await _outbox.ReleaseAsync(rows.Select(r => r.Id).ToList());
        return [.. rows.Where(r => r.Message.Device == "Dev A" && r.Message.Kind == OutboxMessageKind.Telemetry)
            .Select(r => JsonNode.Parse(r.Message.Payload.Span)![0]!["values"]!.ToJsonString())];
    }

    /// <summary>The pending record is removed last, after the attributes and the fw_state reports.</summary>
    private async Task<bool> DoneAsync() => await _content.GetInfoAsync(FirmwareDownloads.PendingPrefix + "Dev A") is null;

    private static async Task WaitAsync(Func<Task<bool>> condition, string what)
    {
        var deadline = DateTime.UtcNow + Limit;
        while (!await condition())
        {
            Assert.True(DateTime.UtcNow < deadline, $"not within {Limit.TotalSeconds} s: {what}");
            await Task.Delay(20);
        }
    }

    [Fact]
    public async Task VerifiedImage_IsStored_ThenTheAttributesAreCachedAndSignalled()
    {
        _downloads = Create();
        Assert.True(await _downloads.TryAssignAsync("Dev A", Update(Sha256.ToUpperInvariant()), default));
        Assert.Empty(await FirmwareAttributesAsync());
        await _downloads.StartAsync(default);

        await WaitAsync(DoneAsync, "the pending record removed");
        Assert.Equal(5, (await FirmwareAttributesAsync()).Count);

        var stored = new byte[4000];
        Assert.Equal(3000, await _content.ReadAsync("firmware/fw/1.0", 0, stored));
        Assert.Equal(_image, stored[..3000]);
        DownlinkEvent signalled;
        lock (_signals) signalled = Assert.Single(_signals);
        Assert.Equal("fw", JsonNode.Parse(signalled.Payload.Span)!["fw_title"]!.GetValue<string>());
        Assert.Equal(["""{"fw_state":"DOWNLOADING"}""", """{"fw_state":"DOWNLOADED"}""", """{"fw_state":"VERIFIED"}"""], await StatesAsync());
        Assert.Empty(Directory.GetFiles(Path.Combine(_directory, "firmware-partial")));
        Assert.Equal(1, _figures.Count(FirmwareOutcome.Verified));

        // The same package again (an attribute response repeating it): nothing to fetch, the device keeps its attributes.
        Assert.True(await _downloads.TryAssignAsync("Dev A", Update(Sha256.ToUpperInvariant()), default));
        Assert.False(_downloads.IsPending("Dev A"));
        Assert.Null(await _content.GetInfoAsync(FirmwareDownloads.PendingPrefix + "Dev A"));
        Assert.Single(_server.Requests);
    }

    [Theory]
    [InlineData("SHA256")]
    [InlineData("CRC32")]
    [InlineData("MURMUR3_128")]
    public async Task WrongChecksum_IsRefused_AndTheDeviceNeverSeesTheAttributes(string algorithm)
    {
        _downloads = Create();
        await _downloads.TryAssignAsync("Dev A", Update(algorithm == "CRC32" ? "2639f4cb" : Sha256[..32], algorithm), default);
        await _downloads.StartAsync(default);

        await WaitAsync(DoneAsync, "the pending record removed");
        Assert.Equal(1, _figures.Count(FirmwareOutcome.ChecksumMismatch));

        Assert.Empty(await FirmwareAttributesAsync());
        lock (_signals) Assert.Empty(_signals);
        Assert.Null(await _content.GetInfoAsync("firmware/fw/1.0"));
        Assert.Empty(Directory.GetFiles(Path.Combine(_directory, "firmware-partial")));
        Assert.Equal($$"""{"fw_state":"FAILED","fw_error":"Checksum verification failed ({{algorithm}})"}""", (await StatesAsync())[^1]);
    }

    [Fact]
    public async Task Download_WaitsForTheLink_AndAPendingAssignmentSurvivesARestart()
    {
        _link.IsConnected = false;
        var first = Create();
        await first.TryAssignAsync("Dev A", Update(Sha256), default);
        await first.StartAsync(default);
        await Task.Delay(300);
        Assert.Empty(_server.Requests);         // offline: nothing fetched
        await first.StopAsync(default);
        first.Dispose();

        _downloads = Create();                   // a restart: only the stored pending record is left
        await _downloads.StartAsync(default);
        _link.IsConnected = true;

        await WaitAsync(async () => (await FirmwareAttributesAsync()).Count == 5, "fw_* attributes cached after the restart");
        Assert.Single(_server.Requests);
    }

    [Fact]
    public async Task UpdateWithoutUrl_IsNotTaken()
    {
        _downloads = Create();
        var update = Update(Sha256);
        update.Remove("fw_url");
        Assert.False(await _downloads.TryAssignAsync("Dev A", update, default));
    }

    [Fact]
    public async Task PackageWithoutChecksum_IsRefusedByDefault()
    {
        _downloads = Create();
        var update = Update(Sha256);
        update.Remove("fw_checksum");
        update.Remove("fw_checksum_algorithm");
        await _downloads.TryAssignAsync("Dev A", update, default);
        await _downloads.StartAsync(default);

        await WaitAsync(() => Task.FromResult(_figures.Count(FirmwareOutcome.Failed) == 1), "refused");
        Assert.Empty(_server.Requests);
        Assert.Empty(await FirmwareAttributesAsync());
    }

    public async ValueTask DisposeAsync()
    {
        if (_downloads is not null)
        {
            await _downloads.StopAsync(default);
            _downloads.Dispose();
        }
        _server.Dispose();
        _figures.Dispose();
        await _outbox.DisposeAsync();
        _database.Dispose();
        Directory.Delete(_directory, recursive: true);
    }
}
