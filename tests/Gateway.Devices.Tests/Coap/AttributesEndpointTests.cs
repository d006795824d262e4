using System.Text;
using System.Text.Json.Nodes;
using Gateway.Coap.Messages;
using Gateway.Devices.Tests.Support;
using Gateway.Domain;
using Gateway.Storage.Attributes;
using Gateway.Storage.Outbox;

namespace Gateway.Devices.Tests.Coap;

/// <summary>Attributes upload, request and observe (thingsboard.md §1.3, §2.3, §2.5).</summary>
public sealed class AttributesEndpointTests : IDisposable
{
    private readonly Support.Gateway _gateway = new();
    private readonly CoapDevice _device;
    private string _token = "";

    public AttributesEndpointTests() => _device = new CoapDevice(_gateway.Server);

    public void Dispose()
    {
        _device.Dispose();
        _gateway.Dispose();
    }

    private async Task<string> DeviceAsync()
    {
        _token = await _gateway.AddDeviceAsync("Dev A");
        await _gateway.Attributes.SetAsync("Dev A", AttributeScope.Shared, new Dictionary<string, string> { ["shared1"] = "\"on\"", ["limit"] = "5" }, Support.Gateway.Now);
        return _token;
    }

    [Fact]
    public async Task Post_Answers201_RowAndCacheTyped()
    {
        var token = await DeviceAsync();

        var response = await _device.PostAsync($"api/v1/{token}/attributes", """{"attribute1":"value1","attribute2":true,"attribute3":"42"}""");

        Assert.Equal("2.01", Answer.Code(response));
        Assert.Equal(["""ClientAttributes Dev A {"attribute1":"value1","attribute2":true,"attribute3":42}"""], await _gateway.RowTextsAsync(OutboxMessageKind.ClientAttributes));
        var cached = await _gateway.Attributes.GetAsync("Dev A", AttributeScope.Client);
        Assert.Equal(["attribute1=\"value1\"", "attribute2=true", "attribute3=42"], cached.Select(a => $"{a.Key}={a.Json}"));
    }

    [Theory]
    [InlineData("[{\"a\":1}]")]
    [InlineData("not json")]
    public async Task Post_NonObject_Answers400(string payload)
    {
        var token = await DeviceAsync();
        Assert.Equal("4.00", Answer.Code(await _device.PostAsync($"api/v1/{token}/attributes", payload)));
    }

    [Fact]
    public async Task Get_WithKeys_Answers205ClientAndShared()
    {
        var token = await DeviceAsync();
        await _device.PostAsync($"api/v1/{token}/attributes", """{"attribute1":"value1","attribute2":true}""");

        var response = await _device.GetAsync($"api/v1/{token}/attributes?clientKeys=attribute1,attribute2&sharedKeys=shared1");

        Assert.Equal("2.05", Answer.Code(response));
        Assert.Equal("""{"client":{"attribute1":"value1","attribute2":true},"shared":{"shared1":"on"}}""", Answer.Text(response));
        Assert.Equal(50u, Answer.Option(response, CoapOptionNumber.ContentFormat));
    }

    [Fact]
    public async Task Get_NoKeys_ReturnsEverything_OmittingEmptyScope()
    {
        var token = await DeviceAsync();

        var response = await _device.GetAsync($"api/v1/{token}/attributes");

        Assert.Equal("""{"shared":{"limit":5,"shared1":"on"}}""", Answer.Text(response));
    }

    [Fact]
    public async Task Get_NothingMatches_Answers404()
    {
        var token = await DeviceAsync();

        var response = await _device.GetAsync($"api/v1/{token}/attributes?clientKeys=nope&sharedKeys=none");

        Assert.Equal("4.04", Answer.Code(response));
        Assert.True(response.Payload.IsEmpty);
    }

    [Fact]
    public async Task Get_CloudUp_AsksOnceForUnknownKeys_ThenCaches()
    {
        var token = await DeviceAsync();
        _gateway.Cloud.IsConnected = true;
        _gateway.Cloud.Answer = (device, client, keys) => new JsonObject { ["fromCloud"] = 7 };

        var first = await _device.GetAsync($"api/v1/{token}/attributes?sharedKeys=shared1,fromCloud");
        var second = await _device.GetAsync($"api/v1/{token}/attributes?sharedKeys=shared1,fromCloud");

        Assert.Equal("""{"shared":{"fromCloud":7,"shared1":"on"}}""", Answer.Text(first));
        Assert.Equal(Answer.Text(first), Answer.Text(second));
        Assert.Equal([("Dev A", false, "fromCloud")], _gateway.Cloud.Requests);
    }

    [Fact]
    public async Task Get_CloudSilent_AnswersFromCacheAfterBoundedWait()
    {
        var token = await DeviceAsync();
        _gateway.Cloud.IsConnected = true;
        _gateway.Cloud.Hang = true;

        var response = await _device.GetAsync($"api/v1/{token}/attributes?sharedKeys=shared1,unknown");

        Assert.Equal("""{"shared":{"shared1":"on"}}""", Answer.Text(response));
    }

    [Fact]
    public async Task Get_Offline_NeverAsksTheCloud()
    {
        var token = await DeviceAsync();

        await _device.GetAsync($"api/v1/{token}/attributes?sharedKeys=unknown");

        Assert.Empty(_gateway.Cloud.Requests);
    }

    [Fact]
    public async Task Observe_First205WithFlatSharedAttributes_ThenFlatUpdatesAndDeletions()
    {
        var token = await DeviceAsync();

        var first = await _device.GetAsync($"api/v1/{token}/attributes", CoapOption.FromUInt(CoapOptionNumber.Observe, 0));
        Assert.Equal("2.05", Answer.Code(first));
        Assert.Equal("""{"limit":5,"shared1":"on"}""", Answer.Text(first));
        Assert.Equal(0u, Answer.Option(first, CoapOptionNumber.Observe));

        _gateway.Signal.Notify(new DownlinkEvent("Dev A", DownlinkKind.SharedAttributes, Encoding.UTF8.GetBytes("""{"limit":6}""")));
        var update = _device.Receive(TimeSpan.FromSeconds(5));
        Assert.NotNull(update);
        Assert.Equal("2.05", Answer.Code(update));
        Assert.Equal("""{"limit":6}""", Answer.Text(update));
        Assert.Equal(first.Token.ToArray(), update.Token.ToArray());
        Assert.Equal(1u, Answer.Option(update, CoapOptionNumber.Observe));
        if (update.Type == CoapMessageType.Confirmable) _device.Transport.Deliver(Gateway.Coap.Codec.CoapCodec.Encode(CoapMessage.EmptyAck(update.MessageId)), _device.Address);

        _gateway.Signal.Notify(new DownlinkEvent("Dev A", DownlinkKind.SharedAttributes, Encoding.UTF8.GetBytes("""{"deleted":["shared1"]}""")));
        var deletion = _device.Receive(TimeSpan.FromSeconds(5));
        Assert.Equal("""{"deleted":["shared1"]}""", Answer.Text(deletion!));
        Assert.Equal(2u, Answer.Option(deletion!, CoapOptionNumber.Observe));
    }

    [Fact]
    public async Task Observe_NoSharedAttributes_FirstResponseIsEmptyObject()
    {
        var token = await _gateway.AddDeviceAsync("Dev B");

        var first = await _device.GetAsync($"api/v1/{token}/attributes", CoapOption.FromUInt(CoapOptionNumber.Observe, 0));

        Assert.Equal("{}", Answer.Text(first));
    }

    [Fact]
    public async Task Observe_Telemetry_Answers400WithoutRelation()
    {
        var token = await DeviceAsync();

        var response = await _device.GetAsync($"api/v1/{token}/telemetry", CoapOption.FromUInt(CoapOptionNumber.Observe, 0));

        Assert.Equal("4.00", Answer.Code(response));
        Assert.Null(Answer.Option(response, CoapOptionNumber.Observe));
        Assert.Equal(0, _gateway.Resources.ObserverCount);
    }
}
