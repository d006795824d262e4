using System.Text;
using Gateway.Coap.Server;
using Gateway.Devices.Exosite;
using Gateway.Devices.Tests.Support;
using Gateway.Domain;
using Gateway.Storage;
using Gateway.Storage.Content;
using Gateway.Storage.Dataports;
using Gateway.Storage.Devices;
using Gateway.Storage.Outbox;
using Gateway.TestKit;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Gateway.Devices.Tests.Exosite;

/// <summary>
/// The Exosite side as the host wires it: real SQLite in a temp directory, <see cref="ExositeServiceCollectionExtensions.AddExositeDeviceApi"/>,
/// <see cref="ExositeCoapResources.MapTo"/> into a <see cref="CoapServer"/>. The API's clock is manual
/// (fixed server timestamps, write-rate and Max-Age refresh driven by <see cref="Time"/>).
/// </summary>
public sealed class ExositeGateway : IDisposable
{
    public static readonly DateTimeOffset Now = DateTimeOffset.FromUnixTimeSeconds(1_700_000_000);

    private readonly string _directory = Path.Combine(Path.GetTempPath(), "gw-exosite-" + Guid.NewGuid().ToString("N")[..12]);
    private readonly ServiceProvider _services;

    public ExositeGateway(Action<ExositeOptions>? configure = null, TimeProvider? time = null)
    {
        Directory.CreateDirectory(_directory);
        Database = SqliteDatabase.Open(new StorageOptions { DataDir = _directory });
        var db = Database;
        TimeProvider clock = time ?? Time;
        _services = new ServiceCollection()
            .AddLogging(b => b.AddProvider(Logs).SetMinimumLevel(LogLevel.Trace))
            .AddSingleton(clock)
            .AddSingleton<IOutbox>(_ => new SqliteOutbox(db, clock))
            .AddSingleton<IDeviceStore>(new SqliteDeviceStore(db, clock))
            .AddSingleton<IDataportStore>(new SqliteDataportStore(db))
            .AddSingleton<IContentStore>(new SqliteContentStore(db, clock))
            .AddExositeDeviceApi(configure)
            .BuildServiceProvider();
        Server = new CoapServer();
        Resources = ExositeCoapResources.MapTo(Server, _services);
    }

    public ManualTimeProvider Time { get; } = new(Now);
    public CapturingLoggerProvider Logs { get; } = new();
    public SqliteDatabase Database { get; }
    public CoapServer Server { get; }
    public ExositeCoapResources Resources { get; }
    public IServiceProvider Services => _services;
    public IDeviceStore Devices => _services.GetRequiredService<IDeviceStore>();
    public IDataportStore Dataports => _services.GetRequiredService<IDataportStore>();
    public IContentStore Content => _services.GetRequiredService<IContentStore>();
    public IOutbox Outbox => _services.GetRequiredService<IOutbox>();
    public IDownlinkSignal Signal => _services.GetRequiredService<IDownlinkSignal>();

    /// <summary>Adds an Exosite device awaiting activation (<c>devices add NAME --vendor --model --sn</c>) and activates it; returns its CIK.</summary>
    public async Task<string> ActivatedDeviceAsync(string name = "Exo 1", string vendor = "acme", string model = "sensor", string serial = "001")
    {
        await Devices.AddAsync(new NewDevice(name) { Vendor = vendor, Model = model, Serial = serial });
        return (await Devices.ActivateAsync(vendor, model, serial))!;
    }

    /// <summary>Stores content as <c>content add --vendor --model --id</c> does.</summary>
    public Task<ContentInfo> AddContentAsync(string vendor, string model, string id, byte[] body, string type = "application/octet-stream", string? meta = null) =>
        Content.PutAsync($"exosite/{vendor}/{model}/{id}", type, new MemoryStream(body), meta);

    /// <summary>Every outbox row as "Kind Device payload" (leased and released again).</summary>
    public async Task<IReadOnlyList<string>> RowTextsAsync()
    {
        // Sorted by id: a lease puts awaited kinds (RPC replies, claims) first; these tests check storage order.
        var rows = (await Outbox.LeaseAsync(1000, TimeSpan.FromMinutes(1))).OrderBy(r => r.Id).ToList();
        await Outbox.ReleaseAsync(rows.Select(r => r.Id).ToList());
        return rows.Select(r => $"{r.Message.Kind} {r.Message.Device} {Encoding.UTF8.GetString(r.Message.Payload.Span)}").ToList();
    }

    public void Dispose()
    {
        Resources.Dispose();
        _services.DisposeAsync().AsTask().GetAwaiter().GetResult();
        Database.Dispose();
        try { Directory.Delete(_directory, recursive: true); } catch (IOException) { }
    }
}
