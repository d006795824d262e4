using System.Text;
using Gateway.Coap;
using Gateway.Coap.Server;
using Gateway.Devices.Coap;
using Gateway.Devices.ThingsBoard;
using Gateway.Domain;
using Gateway.Storage;
using Gateway.Storage.Attributes;
using Gateway.Storage.Content;
using Gateway.Storage.Devices;
using Gateway.Storage.Downlinks;
using Gateway.Storage.Observe;
using Gateway.Storage.Outbox;
using Gateway.TestKit;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Gateway.Devices.Tests.Support;

/// <summary>
/// The device side as the host wires it: real SQLite storage in a temp directory, the services from
/// <see cref="DeviceApiServiceCollectionExtensions.AddThingsBoardDeviceApi"/>, the resources mapped into a
/// <see cref="CoapServer"/>. The API's wall clock is manual (fixed server timestamps); <see cref="Restart"/>
/// reopens everything on the same file.
/// </summary>
public sealed class Gateway : IDisposable
{
    public static readonly DateTimeOffset Now = DateTimeOffset.FromUnixTimeMilliseconds(1_700_000_000_000);

    private readonly string _directory = Path.Combine(Path.GetTempPath(), "gw-devices-" + Guid.NewGuid().ToString("N")[..12]);
    private ServiceProvider? _services;

    public Gateway(Action<StorageOptions>? storage = null, Action<DeviceApiOptions>? api = null)
    {
        Directory.CreateDirectory(_directory);
        _configureStorage = storage;
        _configureApi = api;
        Start();
    }

    private readonly Action<StorageOptions>? _configureStorage;
    private readonly Action<DeviceApiOptions>? _configureApi;

    public ManualTimeProvider Time { get; } = new(Now);
    public FakeCloudLink Cloud { get; } = new();
    public CapturingLoggerProvider Logs { get; } = new();
    public ProvisioningOptions Provisioning { get; } = new();
    public CoapServer Server { get; private set; } = null!;
    public SqliteDatabase Database { get; private set; } = null!;
    public IServiceProvider Services => _services!;
    public IOutbox Outbox => Services.GetRequiredService<IOutbox>();
    public IDeviceStore Devices => Services.GetRequiredService<IDeviceStore>();
    public IAttributeStore Attributes => Services.GetRequiredService<IAttributeStore>();
    public IDownlinkQueue Downlinks => Services.GetRequiredService<IDownlinkQueue>();
    public IContentStore Content => Services.GetRequiredService<IContentStore>();
    public DeviceApi Api => Services.GetRequiredService<DeviceApi>();
    public IDownlinkSignal Signal => Services.GetRequiredService<IDownlinkSignal>();
    public ThingsBoardCoapResources Resources { get; private set; } = null!;

    private void Start()
    {
        var options = new StorageOptions { DataDir = _directory };
        _configureStorage?.Invoke(options);
        Database = SqliteDatabase.Open(options);
        var apiOptions = new DeviceApiOptions { CloudRequestTimeout = TimeSpan.FromMilliseconds(300), ClientRpcTimeout = TimeSpan.FromMilliseconds(300) };
        _configureApi?.Invoke(apiOptions);
        var db = Database;
        var services = new ServiceCollection()
            .AddLogging(b => b.AddProvider(Logs).SetMinimumLevel(LogLevel.Trace))
            .AddSingleton<TimeProvider>(Time)
            .AddSingleton(apiOptions)
            .AddSingleton(Provisioning)
            .AddSingleton<ICloudLink>(Cloud)
            .AddSingleton<IOutbox>(sp => new SqliteOutbox(db, Time))
            .AddSingleton<IDeviceStore>(new SqliteDeviceStore(db, Time))
            .AddSingleton<IAttributeStore>(new SqliteAttributeStore(db))
            .AddSingleton<IDownlinkQueue>(new SqliteDownlinkQueue(db, Time))
            .AddSingleton<IContentStore>(new SqliteContentStore(db, Time))
            .AddSingleton<IObservationStore>(new SqliteObservationStore(db, Time))
            .AddThingsBoardDeviceApi();
        _services = services.BuildServiceProvider();
        Server = new CoapServer();
        Resources = ThingsBoardCoapResources.MapTo(Server, _services);
    }

    /// <summary>Closes the database and services and opens them again on the same file (a service restart).</summary>
    public void Restart()
    {
        Stop();
        Start();
    }

    public async Task<string> AddDeviceAsync(string name, string? token = null, string profile = "default") =>
        (await Devices.AddAsync(new NewDevice(name, profile) { Token = token }))!;

    /// <summary>Every outbox row in order (leased and released again, so later calls see them too).</summary>
    public async Task<IReadOnlyList<OutboxMessage>> RowsAsync()
    {
        // Sorted by id: a lease puts awaited kinds (RPC replies, claims) first; these tests check storage order.
        var rows = (await Outbox.LeaseAsync(1000, TimeSpan.FromMinutes(1))).OrderBy(r => r.Id).ToList();
        await Outbox.ReleaseAsync(rows.Select(r => r.Id).ToList());
        return rows.Select(r => r.Message).ToList();
    }

    public async Task<IReadOnlyList<string>> RowTextsAsync(OutboxMessageKind? kind = null) =>
        (await RowsAsync()).Where(m => kind is null || m.Kind == kind).Select(m => $"{m.Kind} {m.Device} {Encoding.UTF8.GetString(m.Payload.Span)}").ToList();

    private void Stop()
    {
        Resources?.Dispose();
        _services?.DisposeAsync().AsTask().GetAwaiter().GetResult(); // disposes the outbox (IAsyncDisposable)
        _services = null;
        Database?.Dispose();
    }

    public void Dispose()
    {
        Stop();
        try { Directory.Delete(_directory, recursive: true); } catch (IOException) { }
    }
}
