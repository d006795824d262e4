using Gateway.Bridge.Devices;
using Gateway.Storage;
using Gateway.Storage.Devices;
using Gateway.Storage.Outbox;
using Gateway.TestKit;

namespace Gateway.Bridge.Tests.Unit;

/// <summary>Which devices the cloud must see connected (thingsboard.md §4.5): re-announcement, idle and removed devices.</summary>
public sealed class DeviceTrackerTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("tracker-").FullName;
    private readonly SqliteDatabase _database;
    private readonly ManualTimeProvider _time = new();
    private readonly SqliteDeviceStore _store;

    public DeviceTrackerTests()
    {
        _database = SqliteDatabase.Open(new StorageOptions { DataDir = _directory, MinFreeBytes = 0, IntegrityCheckOnOpen = IntegrityCheck.None });
        _store = new SqliteDeviceStore(_database, _time);
    }

    private static OutboxEntry Row(string device, OutboxMessageKind kind, string payload = "{}") =>
        new(1, new OutboxMessage(device, kind, System.Text.Encoding.UTF8.GetBytes(payload)), 1);

    [Fact]
    public async Task AfterAReconnect_EveryRegisteredAndForwardedDeviceIsAnnounced_WithItsProfile()
    {
        await _store.AddAsync(new NewDevice("Dev A", "thermostat"));
        var tracker = new DeviceTracker(_store, new BridgeOptions(), _time);
        await tracker.InitializeAsync(default);
        tracker.Observe(Row("Dev B", OutboxMessageKind.DeviceConnect, """{"type":"meter"}"""));

        Assert.Empty(tracker.TakeAnnouncements());
        tracker.RequestAnnouncement();
        Assert.Equal([("Dev A", (string?)"thermostat"), ("Dev B", "meter")], tracker.TakeAnnouncements().OrderBy(a => a.Device));
        Assert.Empty(tracker.TakeAnnouncements());                     // once per reconnect
    }

    [Fact]
    public async Task IdleDevice_IsDisconnected_AfterIdleDisconnectSeconds()
    {
        var tracker = new DeviceTracker(null, new BridgeOptions { IdleDisconnectSeconds = 600, DeviceSweepSeconds = 30 }, _time);
        tracker.Observe(Row("Dev A", OutboxMessageKind.Telemetry, "[]"));
        tracker.Observe(Row("Dev B", OutboxMessageKind.Telemetry, "[]"));

        _time.Advance(TimeSpan.FromSeconds(590));
        tracker.Observe(Row("Dev B", OutboxMessageKind.Telemetry, "[]")); // B stays busy
        Assert.Empty(await tracker.SweepAsync(default));
        _time.Advance(TimeSpan.FromSeconds(30));
        var swept = await tracker.SweepAsync(default);
        Assert.Equal("Dev A", Assert.Single(swept).Device);
        Assert.False(tracker.IsActive("Dev A"));
        Assert.True(tracker.IsActive("Dev B"));
    }

    [Fact]
    public async Task RemovedDevice_IsDisconnected_AtTheNextSweep()
    {
        await _store.AddAsync(new NewDevice("Dev A"));
        await _store.AddAsync(new NewDevice("Dev B"));
        var tracker = new DeviceTracker(_store, new BridgeOptions { IdleDisconnectSeconds = 0, DeviceSweepSeconds = 30 }, _time);
        await tracker.InitializeAsync(default);

        Assert.True(await _store.RemoveAsync("Dev A"));
        Assert.Empty(await tracker.SweepAsync(default));               // not due yet
        _time.Advance(TimeSpan.FromSeconds(30));
        var swept = await tracker.SweepAsync(default);
        Assert.Equal(("Dev A", "removed from the device store"), Assert.Single(swept));
        Assert.Equal(1, tracker.ActiveCount);
    }

    [Fact]
    public void ForwardedDisconnect_LeavesTheActiveSet()
    {
        var tracker = new DeviceTracker(null, new BridgeOptions(), _time);
        tracker.Observe(Row("Dev A", OutboxMessageKind.Telemetry, "[]"));
        tracker.Observe(Row("Dev A", OutboxMessageKind.DeviceDisconnect));
        tracker.RequestAnnouncement();
        Assert.Empty(tracker.TakeAnnouncements());
    }

    public void Dispose()
    {
        _database.Dispose();
        try { Directory.Delete(_directory, recursive: true); } catch (IOException) { }
    }
}
