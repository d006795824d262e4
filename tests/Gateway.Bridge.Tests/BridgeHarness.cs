using System.Text;
using System.Text.Json.Nodes;
using Gateway.Bridge.Devices;
using Gateway.Bridge.Downlinks;
using Gateway.Bridge.Firmware;
using Gateway.Bridge.Forwarding;
using Gateway.Bridge.Logs;
using Gateway.Bridge.Service;
using Gateway.Domain;
using Gateway.Mqtt.Client;
using Gateway.Storage;
using Gateway.Storage.Attributes;
using Gateway.Storage.Devices;
using Gateway.Storage.Downlinks;
using Gateway.Storage.Outbox;

namespace Gateway.Bridge.Tests;

/// <summary>
/// The bridge's parts wired on real SQLite storage in a temp directory, with the MQTT client pointed at
/// a broker (MqttTestBroker for scripted tests, mosquitto for interop). Every wait is bounded.
/// </summary>
internal sealed class BridgeHarness : IAsyncDisposable
{
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(15);

    private readonly string _directory;
    private bool _ownDirectory;
    private readonly CancellationTokenSource _stop = new();
    private Task _loops = Task.CompletedTask;

    /// <param name="directory">An existing data directory to reuse (a restart); it is then left in place. Null: a new temp directory.</param>
    /// <param name="firmware">Builds the firmware downloads the router hands <c>fw_url</c> packages to (not started); null: none.</param>
    public BridgeHarness(MqttClientOptions mqtt, Action<BridgeOptions>? configure = null, string? directory = null, Func<BridgeHarness, FirmwareDownloads>? firmware = null)
    {
        _ownDirectory = directory is null;
        _directory = directory ?? Directory.CreateTempSubdirectory("bridge-test-").FullName;
        Options = new BridgeOptions { IdlePollMilliseconds = 10, RetryMinSeconds = 0.02, RetryMaxSeconds = 0.1 };
        configure?.Invoke(Options);
        Database = SqliteDatabase.Open(new StorageOptions { DataDir = _directory, MinFreeBytes = 0, IntegrityCheckOnOpen = IntegrityCheck.None });
        Outbox = new SqliteOutbox(Database);
        Devices = new SqliteDeviceStore(Database);
        Attributes = new SqliteAttributeStore(Database);
        Downlinks = new SqliteDownlinkQueue(Database);
        Status = new BridgeStatus();
        Client = new MqttClient(mqtt);
        Tracker = new DeviceTracker(Devices, Options, TimeProvider.System);
        Names = new CloudNames(new SqliteCloudNameStore(Database));
        CloudLink = new MqttCloudLink(Client, Status, Options, names: Names);
        Forwarder = new Forwarder(Client, Outbox, Tracker, CloudLink, Options, Status, names: Names);
        ServiceRpcs = new ServiceRpcs(Client, Tracker, Devices, Names, Status, Control);
        Firmware = firmware?.Invoke(this);
        Shipper = new CloudLogShipper(Client, Logs, Options, Status);
        Router = new DownlinkRouter(Client, Devices, Attributes, Downlinks, Signal, CloudLink, Tracker, Options, Status, serviceRpcs: ServiceRpcs, names: Names,
            ownAttributes: Shipper, firmware: Firmware);
        Signal.Subscribe(e => { lock (Signals) Signals.Add(e); });
    }

    public SqliteDatabase Database { get; }
    public SqliteOutbox Outbox { get; }
    public SqliteDeviceStore Devices { get; }
    public SqliteAttributeStore Attributes { get; }
    public SqliteDownlinkQueue Downlinks { get; }
    public DownlinkSignal Signal { get; } = new();
    public List<DownlinkEvent> Signals { get; } = [];
    public BridgeOptions Options { get; }
    public BridgeStatus Status { get; }
    public MqttClient Client { get; }
    public DeviceTracker Tracker { get; }
    public MqttCloudLink CloudLink { get; }
    public Forwarder Forwarder { get; }
    public DownlinkRouter Router { get; }
    public FirmwareDownloads? Firmware { get; }
    public CloudNames Names { get; }
    public ServiceRpcs ServiceRpcs { get; }
    public CloudLogProvider Logs { get; } = new();
    public CloudLogShipper Shipper { get; }
    public FakeGatewayControl Control { get; } = new();
    public string DataDirectory => _directory;

    /// <summary>Leaves the data directory in place at dispose, for a second harness (a restart); the caller deletes it.</summary>
    public string KeepDirectory()
    {
        _ownDirectory = false;
        return _directory;
    }

    /// <summary>Options for the scripted broker (Gateway.TestKit's MqttTestBroker) on <paramref name="port"/>.</summary>
    public static MqttClientOptions ScriptedOptions(int port, string version = "5") => new()
    {
        Host = "127.0.0.1", Port = port, ClientId = "gw-test", KeepAliveSeconds = 30, ProtocolVersion = version,
        ReconnectMinSeconds = 0.02, ReconnectMaxSeconds = 0.1,
    };

    /// <summary>Loads devices, subscribes, starts the client and both loops (as <see cref="ThingsBoardBridge"/> does).</summary>
    /// <param name="forward">False: downlinks only, the outbox stays as it is (rows "already queued").</param>
    public async Task StartAsync(bool forward = true)
    {
        await Names.LoadAsync(CancellationToken.None);
        await Tracker.InitializeAsync(CancellationToken.None);
        await Client.SubscribeAsync(ThingsBoardBridge.Subscriptions(Client.ProtocolVersion));
        Client.Start();
        _loops = forward
            ? Task.WhenAll(Task.Run(() => Forwarder.RunAsync(_stop.Token)), Task.Run(() => Router.RunAsync(_stop.Token)), Task.Run(() => Shipper.RunAsync(_stop.Token)))
            : Task.Run(() => Router.RunAsync(_stop.Token));
    }

    public async Task AddDeviceAsync(string name, string profile = "default") => await Devices.AddAsync(new NewDevice(name, profile));

    public async Task<long> EnqueueAsync(string device, OutboxMessageKind kind, string json)
    {
        var result = await Outbox.EnqueueAsync(new OutboxMessage(device, kind, Encoding.UTF8.GetBytes(json)));
        Assert.Equal(EnqueueStatus.Committed, result.Status);
        return result.Id;
    }

    public Task<long> TelemetryAsync(string device, long ts, int value) =>
        EnqueueAsync(device, OutboxMessageKind.Telemetry, Encoding.UTF8.GetString(UplinkPayloads.Telemetry([(ts, new JsonObject { ["v"] = value })])));

    public async Task<long> DepthAsync() => (await Outbox.GetStatsAsync()).Depth;

    public static async Task WaitForAsync(Func<Task<bool>> condition, string what)
    {
        var deadline = DateTime.UtcNow + Timeout;
        while (!await condition())
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException("timed out waiting for " + what);
            await Task.Delay(10);
        }
    }

    public static Task WaitForAsync(Func<bool> condition, string what) => WaitForAsync(() => Task.FromResult(condition()), what);

    public async ValueTask DisposeAsync()
    {
        _stop.Cancel();
        await Client.StopAsync();
        try { await _loops.WaitAsync(Timeout); } catch (OperationCanceledException) { }
        await Outbox.DisposeAsync();
        Database.Dispose();
        if (_ownDirectory) try { Directory.Delete(_directory, recursive: true); } catch (IOException) { }
    }
}
