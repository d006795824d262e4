using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Gateway.Bridge.Firmware;
using Gateway.Mqtt.Client;
using Gateway.Storage.Attributes;
using Gateway.Storage.Content;
using Gateway.TestKit;
using Microsoft.Extensions.Logging.Abstractions;

namespace Gateway.Bridge.Tests.Firmware;

/// <summary>
/// The downlink router with firmware downloads, mosquitto as ThingsBoard: <c>fw_*</c> of a package by URL are
/// held back from the cache and the device, whether pushed (<c>v1/gateway/attributes</c>) or answered to the
/// device's own attribute request (<c>v1/gateway/attributes/response</c>); the other keys go through.
/// </summary>
public sealed class FirmwareHoldTests
{
    private static MqttClientOptions Options(int port, string clientId) => new()
    {
        Host = "127.0.0.1", Port = port, ClientId = clientId, KeepAliveSeconds = 30, ReconnectMinSeconds = 0.1, ReconnectMaxSeconds = 0.5,
    };

    private const string Package = """{"fw_title":"fw","fw_version":"2.0","fw_size":10,"fw_checksum_algorithm":"CRC32","fw_checksum":"00000000","fw_url":"http://127.0.0.1:9/fw.bin"}""";

    private static FirmwareDownloads Downloads(BridgeHarness h)
    {
        var options = new FirmwareOptions();
        var figures = new FirmwareFigures();
        return new FirmwareDownloads(new SqliteContentStore(h.Database), h.Attributes, h.Signal, h.Outbox, h.CloudLink,
            new FirmwareDownloader(new HttpClient(), options, figures, TimeProvider.System, NullLogger.Instance), options, figures,
            Path.Combine(h.DataDirectory, "firmware-partial"), TimeProvider.System, NullLogger<FirmwareDownloads>.Instance);
    }

    [Fact]
    public async Task FirmwareKeys_AreHeldBack_PushedOrRequested()
    {
        using var broker = new MosquittoBroker(persistent: true);
        await using var h = new BridgeHarness(Options(broker.Port, "gw-fw-hold"), firmware: Downloads);
        await h.AddDeviceAsync("pushed");
        await h.AddDeviceAsync("asking");
        // The cloud answers every attribute request with the whole package and one ordinary key.
        await using var tb = new MqttClient(Options(broker.Port, "thingsboard"));
        await tb.SubscribeAsync([new MqttSubscription { TopicFilter = GatewayTopics.AttributeRequest }]);
        tb.Start();
        await tb.WaitUntilConnectedAsync().WaitAsync(BridgeHarness.Timeout);
        using var stop = new CancellationTokenSource();
        var answering = Task.Run(async () =>
        {
            await foreach (var request in tb.Messages.ReadAllAsync(stop.Token))
            {
                using var doc = JsonDocument.Parse(request.Payload);
                var values = JsonNode.Parse(Package)!.AsObject();
                values["mode"] = "eco";
                var response = new JsonObject { ["id"] = doc.RootElement.GetProperty("id").GetInt64(), ["device"] = doc.RootElement.GetProperty("device").GetString(), ["values"] = values };
                await tb.PublishAsync(new MqttMessage { Topic = GatewayTopics.AttributeResponse, Payload = Encoding.UTF8.GetBytes(response.ToJsonString()) });
            }
        });
        await h.StartAsync();
        await BridgeHarness.WaitForAsync(() => h.CloudLink.IsConnected, "the link");

        // Pushed: the device is signalled {"mode":"eco"} only; fw_* wait for the download.
        var update = JsonNode.Parse(Package)!.AsObject();
        update["mode"] = "eco";
        await tb.PublishAsync(new MqttMessage { Topic = GatewayTopics.Attributes, Payload = Encoding.UTF8.GetBytes(new JsonObject { ["device"] = "pushed", ["data"] = update }.ToJsonString()) });
        await BridgeHarness.WaitForAsync(() => { lock (h.Signals) return h.Signals.Count == 1; }, "the update signalled");
        lock (h.Signals) Assert.Equal("""{"mode":"eco"}""", Encoding.UTF8.GetString(h.Signals[0].Payload.Span));
        Assert.Equal(["mode"], (await h.Attributes.GetAsync("pushed", AttributeScope.Shared, null)).Select(a => a.Key));
        Assert.True(h.Firmware!.IsPending("pushed"));

        // Asked by the device while pending, and asked with fw_url in the answer: the device gets no fw_* either way.
        var pushed = await h.CloudLink.RequestAttributesAsync("pushed", client: false, ["fw_title", "fw_version", "mode"], CancellationToken.None);
        Assert.Equal("""{"mode":"eco"}""", pushed!.ToJsonString());
        Assert.False(h.Firmware.IsPending("asking"));
        var asking = await h.CloudLink.RequestAttributesAsync("asking", client: false, ["fw_title", "fw_url"], CancellationToken.None);
        Assert.Equal("""{"mode":"eco"}""", asking!.ToJsonString());
        await BridgeHarness.WaitForAsync(() => h.Firmware.IsPending("asking"), "the requested package taken for download");
        stop.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => answering);
    }
}
