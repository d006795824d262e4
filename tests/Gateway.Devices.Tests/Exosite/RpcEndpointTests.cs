using System.Text;
using System.Text.Json.Nodes;
using Gateway.Coap.Messages;
using Gateway.Devices.Exosite.Cbor;
using Gateway.Devices.Tests.Support;
using static Gateway.Devices.Tests.Exosite.ExositeRequests;

namespace Gateway.Devices.Tests.Exosite;

/// <summary><c>POST /rpc</c>: the CBOR-RPC proxy (peers.md §A.1, §A.3) answered from local state.</summary>
public sealed class RpcEndpointTests : IDisposable
{
    private readonly ExositeGateway _gateway = new();
    private readonly CoapDevice _device;
    private ushort _mid = 0x300;

    public RpcEndpointTests() => _device = new CoapDevice(_gateway.Server);

    public void Dispose()
    {
        _device.Dispose();
        _gateway.Dispose();
    }

    private Task<CoapMessage> Rpc(string json, params CoapOption[] extra) =>
        _device.SendAsync(Build(CoapCode.Post, "rpc", ++_mid, [], CborJson.Encode(JsonNode.Parse(json)),
            extra: [CoapOption.FromUInt(CoapOptionNumber.ContentFormat, 60), .. extra]));

    private static string Json(CoapMessage response) => CborValue.Decode(response.Payload)!.ToJsonString();

    [Fact]
    public async Task TheDocExample_ReadWriteRecord()
    {
        var cik = await _gateway.ActivatedDeviceAsync();
        await _device.SendAsync(Build(CoapCode.Post, "1a/r1", ++_mid, [Text(cik)], Text("64.2")));

        var response = await Rpc($$"""
            {"auth":{"cik":"{{cik}}"},"calls":[
              {"id":1,"procedure":"read","arguments":[{"alias":"r1"},{"limit":1}]},
              {"id":2,"procedure":"write","arguments":[{"alias":"w1"},65.4]},
              {"id":3,"procedure":"record","arguments":[{"alias":"w2"},[[1410360812,65.4],[1410360813,66.3],[1410360815,67.9]],{}]}]}
            """);

        Assert.Equal("2.05", Answer.Code(response));
        Assert.Equal(60u, Answer.Option(response, CoapOptionNumber.ContentFormat));
        Assert.Equal("""[{"id":1,"status":"ok","result":[[1700000000,64.2]]},{"id":2,"status":"ok"},{"id":3,"status":"ok"}]""", Json(response));
        var rows = await _gateway.RowTextsAsync();
        Assert.Equal("Telemetry Exo 1 [{\"ts\":1700000000000,\"values\":{\"w1\":65.4}}]", rows[1]);
        Assert.Equal("Telemetry Exo 1 [{\"ts\":1410360812000,\"values\":{\"w2\":65.4}},{\"ts\":1410360813000,\"values\":{\"w2\":66.3}},{\"ts\":1410360815000,\"values\":{\"w2\":67.9}}]", rows[2]);
    }

    [Fact]
    public async Task Read_WindowSortLimit_Writegroup_Recordbatch_Info_Listing_Unsupported501_NoId()
    {
        var cik = await _gateway.ActivatedDeviceAsync();
        await Rpc($$"""
            {"auth":{"cik":"{{cik}}"},"calls":[{"procedure":"recordbatch","arguments":[{"alias":"t"},[[100,"a"],[200,"b"],[300,"c"]]]},
            {"procedure":"writegroup","arguments":[[[{"alias":"g1"},1],[{"alias":"g2"},"x"]]]}]}
            """);

        var response = await Rpc($$"""
            {"auth":{"cik":"{{cik}}"},"calls":[
              {"id":"a","procedure":"read","arguments":[{"alias":"t"},{"starttime":150,"sort":"asc","limit":5}]},
              {"id":"b","procedure":"read","arguments":[{"alias":"t"},{}]},
              {"id":"c","procedure":"info","arguments":[{"alias":"g2"},{"basic":true}]},
              {"id":"d","procedure":"listing","arguments":[{"alias":""},["dataport"],{}]},
              {"id":"e","procedure":"create","arguments":[]},
              {"procedure":"drop","arguments":[]}]}
            """);

        Assert.Equal("""[{"id":"a","status":"ok","result":[[200,"b"],[300,"c"]]},{"id":"b","status":"ok","result":[[300,"c"]]},"""
            + """{"id":"c","status":"ok","result":{"basic":{"modified":1700000000,"status":"activated","subscribers":0,"type":"dataport"}}},"""
            + """{"id":"d","status":"ok","result":{"client":[],"dataport":[],"datarule":[],"dispatch":[]}},"""
            + """{"id":"e","status":"error","error":{"code":501,"message":"Not Implemented","context":"procedure"}}]""", Json(response));
        Assert.Equal("Telemetry Exo 1 [{\"ts\":1700000000000,\"values\":{\"g1\":1,\"g2\":\"x\"}}]", (await _gateway.RowTextsAsync())[1]);
    }

    [Fact]
    public async Task AcceptJson_AnswersJson_JsonBodyAccepted()
    {
        var cik = await _gateway.ActivatedDeviceAsync();
        var body = Encoding.UTF8.GetBytes($$"""{"auth":{"cik":"{{cik}}"},"calls":[{"id":1,"procedure":"write","arguments":[{"alias":"w"},"7"]}]}""");
        var response = await _device.SendAsync(Build(CoapCode.Post, "rpc", ++_mid, [], body,
            extra: [CoapOption.FromUInt(CoapOptionNumber.ContentFormat, 50), CoapOption.FromUInt(CoapOptionNumber.Accept, 50)]));
        Assert.Equal("2.05", Answer.Code(response));
        Assert.Equal(50u, Answer.Option(response, CoapOptionNumber.ContentFormat));
        Assert.Equal("""[{"id":1,"status":"ok"}]""", Answer.Text(response));
    }

    [Fact]
    public async Task BadCik401_BadBody400_MalformedEnvelope400Shape()
    {
        await _gateway.ActivatedDeviceAsync();
        Assert.Equal("4.01", Answer.Code(await Rpc("""{"auth":{"cik":"0000000000000000000000000000000000000000"},"calls":[]}""")));
        Assert.Equal("4.01", Answer.Code(await Rpc("""{"calls":[]}""")));
        var bad = await _device.SendAsync(Build(CoapCode.Post, "rpc", ++_mid, [], [0xA1, 0x61]));
        Assert.Equal("4.00", Answer.Code(bad));
        var cik = await _gateway.ActivatedDeviceAsync("Exo 2", serial: "002");
        var malformed = await Rpc($$"""{"auth":{"cik":"{{cik}}"},"calls":5}""");
        Assert.Equal("""{"error":{"code":400,"message":"Malformed request","context":"calls"}}""", Json(malformed));
    }
}
