using System.Security.Cryptography;
using System.Text;
using Gateway.Storage.Attributes;
using Gateway.Storage.Content;
using Gateway.Storage.Dataports;
using Gateway.Storage.Downlinks;
using Gateway.Storage.Observe;
using Gateway.TestKit;

namespace Gateway.Storage.Tests.State;

public sealed class LocalStateStoreTests : StoreTestBase
{
    private readonly ManualTimeProvider _clock = new();

    [Fact]
    public async Task Attributes_UpsertPerScopeAndSurviveRestart()
    {
        var store = new SqliteAttributeStore(Database);
        var t0 = _clock.GetUtcNow();
        await store.SetAsync("dev", AttributeScope.Client, new Dictionary<string, string> { ["fw"] = "\"1.0\"", ["mode"] = "1" }, t0);
        await store.SetAsync("dev", AttributeScope.Shared, new Dictionary<string, string> { ["fw"] = "\"2.0\"" }, t0);
        await store.SetAsync("dev", AttributeScope.Client, new Dictionary<string, string> { ["mode"] = "2" }, t0.AddMinutes(1));

        store = new SqliteAttributeStore(Reopen());

        Assert.Equal([("fw", "\"1.0\"", t0), ("mode", "2", t0.AddMinutes(1))],
            (await store.GetAsync("dev", AttributeScope.Client)).Select(a => (a.Key, a.Json, a.Updated)));
        Assert.Equal(["\"2.0\""], (await store.GetAsync("dev", AttributeScope.Shared, ["fw", "nope"])).Select(a => a.Json));
        Assert.Equal(1, await store.DeleteAsync("dev", AttributeScope.Shared, ["fw", "nope"]));
        Assert.Empty(await store.GetAsync("dev", AttributeScope.Shared));
    }

    [Fact]
    public async Task Dataports_KeepBoundedHistoryNewestFirstPerAlias()
    {
        Options.DataportHistory = 3;
        var store = new SqliteDataportStore(Reopen());
        for (var i = 0; i < 5; i++)
        {
            await store.WriteAsync("meter", "temp", $"{20 + i}", _clock.GetUtcNow().AddSeconds(i));
        }
        await store.WriteAsync("meter", "hum", "40", _clock.GetUtcNow());

        Assert.Equal(["24", "23", "22"], (await store.ReadAsync("meter", "temp", 10)).Select(v => v.Value));
        Assert.Equal(["24"], (await store.ReadAsync("meter", "temp")).Select(v => v.Value));
        Assert.Equal(["40"], (await store.ReadAsync("meter", "hum", 10)).Select(v => v.Value));
        Assert.Empty(await store.ReadAsync("other", "temp"));
    }

    [Fact]
    public async Task Downlinks_FlowPendingDeliveredCompletedAndExpireByTtl()
    {
        var queue = new SqliteDownlinkQueue(Database, _clock);
        var rpc = await queue.EnqueueAsync("dev", DownlinkKind.RpcRequest, 42, Encoding.UTF8.GetBytes("{\"method\":\"reboot\"}"), TimeSpan.FromSeconds(30));
        var attr = await queue.EnqueueAsync("dev", DownlinkKind.AttributeUpdate, null, Encoding.UTF8.GetBytes("{\"led\":1}"), TimeSpan.FromSeconds(10));
        await queue.EnqueueAsync("other", DownlinkKind.RpcRequest, 43, new byte[] { 1 }, TimeSpan.FromSeconds(10));

        queue = new SqliteDownlinkQueue(Reopen(), _clock);
        Assert.Equal([rpc, attr], (await queue.PendingAsync("dev")).Select(d => d.Id));
        Assert.True(await queue.SetStatusAsync(rpc, DownlinkStatus.Delivered));

        _clock.Advance(TimeSpan.FromSeconds(10));
        var expired = await queue.ExpireAsync();
        var completed = await queue.CompleteRpcAsync("dev", 42);

        Assert.Equal([(attr, DownlinkKind.AttributeUpdate), (attr + 1, DownlinkKind.RpcRequest)], expired.Select(d => (d.Id, d.Kind)));
        Assert.Equal(DownlinkStatus.Completed, completed?.Status);
        Assert.Null(await queue.CompleteRpcAsync("dev", 42));
        Assert.Empty(await queue.PendingAsync("dev"));
    }

    [Fact]
    public async Task Content_ReadsAnyRangeAcrossChunksWithMetadataAndReplacesAtomically()
    {
        Options.ContentChunkSize = 1024;
        var store = new SqliteContentStore(Reopen(), _clock);
        var body = new byte[10_000];
        new Random(3).NextBytes(body);

        var info = await store.PutAsync("firmware/boiler/1.2", "application/octet-stream", new MemoryStream(body), "release build");

        Assert.Equal(10_000, info.Size);
        Assert.Equal(SHA256.HashData(body), info.Sha256);
        Assert.Equal(SHA256.HashData(body)[..8], info.ETag);
        Assert.Equal("release build", info.Meta);
        store = new SqliteContentStore(Reopen(), _clock);
        foreach (var (offset, length) in new[] { (0, 16), (1000, 100), (1020, 1030), (9_990, 64), (3 * 1024, 1024) })
        {
            var buffer = new byte[length];
            var read = await store.ReadAsync("firmware/boiler/1.2", offset, buffer);
            Assert.Equal(Math.Min(length, 10_000 - offset), read);
            Assert.Equal(body.AsSpan(offset, read).ToArray(), buffer[..read]);
        }
        Assert.Equal(0, await store.ReadAsync("firmware/boiler/1.2", 10_000, new byte[8]));
        Assert.Equal(0, await store.ReadAsync("missing", 0, new byte[8]));

        var replaced = await store.PutAsync("firmware/boiler/1.2", "application/octet-stream", new MemoryStream(body[..5]));
        Assert.Equal(5, replaced.Size);
        Assert.NotEqual(info.ETag, replaced.ETag);
        Assert.Equal(5, await store.ReadAsync("firmware/boiler/1.2", 0, new byte[100]));
        Assert.Single(await store.ListAsync());
        Assert.True(await store.DeleteAsync("firmware/boiler/1.2"));
    }

    [Fact]
    public async Task ObserveRelations_SurviveRestartWithTheirLastSequence()
    {
        var store = new SqliteObservationStore(Database, _clock);
        await store.UpsertAsync(new ObserveRelation("10.0.0.5:40001", [0xA1, 0xB2], "api/v1/rpc", "dev", 50, 2, Confirmable: false));
        await store.UpsertAsync(new ObserveRelation("10.0.0.6:40001", [0x01], "api/v1/attributes", "dev2", 60, 0));
        Assert.True(await store.UpdateSequenceAsync("10.0.0.5:40001", [0xA1, 0xB2], 7));
        Assert.True(await store.RemoveAsync("10.0.0.6:40001", [0x01]));
        Assert.False(await store.UpdateSequenceAsync("10.0.0.6:40001", [0x01], 1));

        var relations = await new SqliteObservationStore(Reopen(), _clock).ListAsync();

        var relation = Assert.Single(relations);
        Assert.Equal(new byte[] { 0xA1, 0xB2 }, relation.Token);
        Assert.Equal(("10.0.0.5:40001", "api/v1/rpc", "dev", 50, 7, false),
            (relation.Peer, relation.Resource, relation.Device, relation.ContentFormat, relation.LastSequence, relation.Confirmable));
    }

    [Fact]
    public async Task ObserveRelations_ABatch_IsAppliedInOrder_InOneTransaction()
    {
        var store = new SqliteObservationStore(Database, _clock);
        ObserveRelation Row(int i, string device = "dev") => new($"10.0.0.{i}:5683", [(byte)i], "api/v1/-/attributes", device, -1, i);
        var burst = Enumerable.Range(1, 2000).Select(i => new ObservationWrite(Row(i % 250), Remove: false)).ToList();
        burst.Add(new ObservationWrite(Row(3), Remove: true));               // removed after its adds
        burst.Add(new ObservationWrite(Row(4), Remove: true));
        burst.Add(new ObservationWrite(Row(4, "dev4 again"), Remove: false)); // and one added back after its removal

        store.Apply(burst);

        var stored = await new SqliteObservationStore(Reopen(), _clock).ListAsync();
        Assert.Equal(249, stored.Count); // 250 distinct (peer, token), one removed for good
        Assert.DoesNotContain(stored, r => r.Peer == "10.0.0.3:5683");
        Assert.Equal("dev4 again", Assert.Single(stored, r => r.Peer == "10.0.0.4:5683").Device);

        // All or nothing: a batch whose row violates the schema leaves nothing of itself behind.
        Assert.ThrowsAny<Exception>(() => store.Apply([new ObservationWrite(Row(251), false), new ObservationWrite(Row(252) with { Token = null! }, false)]));
        Assert.DoesNotContain(await store.ListAsync(), r => r.Peer == "10.0.0.251:5683");
    }
}
