using System.Net;
using System.Text.Json;
using Gateway.Coap;
using Gateway.Coap.Messages;
using Gateway.Coap.Transport;
using Gateway.Host.Tests.Support;

namespace Gateway.Host.Tests;

/// <summary><c>/metrics</c> and <c>/healthz</c> of the real executable, scraped over HTTP while the test sends CoAP traffic.</summary>
public sealed class MetricsTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    private static async Task<IReadOnlyList<Exposition.Sample>> ScrapeAsync(HttpClient http, RunningGateway gateway)
    {
        using var response = await http.GetAsync(new Uri(gateway.HttpBase, "metrics"));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/plain", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal("0.0.4", response.Content.Headers.ContentType?.Parameters.Single(p => p.Name == "version").Value);
        var text = await response.Content.ReadAsStringAsync();
        try
        {
            return Exposition.Parse(text);
        }
        catch (FormatException e)
        {
            throw new Xunit.Sdk.XunitException($"{e.Message}\n{text}");
        }
    }

    [Fact]
    public async Task Metrics_ParseLineByLine_AndCountersMoveWithCoapTraffic()
    {
        await using var gateway = await RunningGateway.StartAsync(_dir.Combine("data"));
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };

        var before = await ScrapeAsync(http, gateway);
        foreach (var family in new[] { "coapgw_coap_datagrams_total", "coapgw_coap_requests_total", "coapgw_outbox_depth", "coapgw_outbox_bytes",
            "coapgw_outbox_oldest_age_seconds", "coapgw_outbox_dead_letters_total", "coapgw_devices", "coapgw_link_up", "coapgw_healthy", "coapgw_uptime_seconds",
            "coapgw_coap_observers", "coapgw_coap_notifications_total", "coapgw_observe_persist_dropped_total", "coapgw_downlink_listener_failures_total", "coapgw_coap_block2_transfers_total", "coapgw_coap_block1_transfers_total", "coapgw_coap_partial_bodies" })
        {
            Assert.Contains(before, s => s.Name == family);
        }

        var options = new CoapEndpointOptions { AckTimeout = TimeSpan.FromMilliseconds(300), AckRandomFactor = 1, MaxRetransmit = 3, ReceiveThreads = 1 };
        using (var client = new CoapEndpoint(new UdpDatagramTransport(new IPEndPoint(IPAddress.IPv6Any, 0)), handler: null, options))
        {
            client.Start();
            for (var i = 0; i < 3; i++)
            {
                using var limit = new CancellationTokenSource(TimeSpan.FromSeconds(5));
                var response = await client.SendRequestAsync(gateway.CoapEndPoint, CoapCode.Get,
                    [CoapOption.FromString(CoapOptionNumber.UriPath, ".well-known"), CoapOption.FromString(CoapOptionNumber.UriPath, "core")], cancellationToken: limit.Token);
                Assert.Equal(CoapCode.Content, response.Code);
            }
            using var limit404 = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            var missing = await client.SendRequestAsync(gateway.CoapEndPoint, CoapCode.Get, [CoapOption.FromString(CoapOptionNumber.UriPath, "nothing-here")], cancellationToken: limit404.Token);
            Assert.Equal(CoapCode.NotFound, missing.Code);
        }
        using (var raw = new System.Net.Sockets.Socket(System.Net.Sockets.AddressFamily.InterNetworkV6, System.Net.Sockets.SocketType.Dgram, System.Net.Sockets.ProtocolType.Udp))
        {
            // Version 2 is not CoAP: the codec rejects it (counted as malformed, silently dropped).
            await raw.SendToAsync(new byte[] { 0x80, 0x01, 0x00, 0x01 }, gateway.CoapEndPoint);
        }

        IReadOnlyList<Exposition.Sample> after = before;
        for (var attempt = 0; attempt < 50 && after.Value("coapgw_coap_datagrams_dropped_total", ("reason", "malformed")) < 1; attempt++)
        {
            await Task.Delay(100);
            after = await ScrapeAsync(http, gateway);
        }
        Assert.True(after.Value("coapgw_coap_requests_total") - before.Value("coapgw_coap_requests_total") >= 4, gateway.ToString());
        Assert.True(after.Value("coapgw_coap_responses_total", ("code", "2.05")) - before.Value("coapgw_coap_responses_total", ("code", "2.05")) >= 3);
        Assert.True(after.Value("coapgw_coap_responses_total", ("code", "4.04")) >= 1);
        Assert.True(after.Value("coapgw_coap_datagrams_total") - before.Value("coapgw_coap_datagrams_total") >= 5);
        Assert.Equal(1, after.Value("coapgw_coap_datagrams_dropped_total", ("reason", "malformed")));
        Assert.Equal(1, after.Value("coapgw_healthy"));
        Assert.Equal(0, after.Value("coapgw_link_enabled"));
    }

    [Fact]
    public async Task Healthz_200WithLinkState()
    {
        await using var gateway = await RunningGateway.StartAsync(_dir.Combine("data"));
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        using var response = await http.GetAsync(new Uri(gateway.HttpBase, "healthz"));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
        Assert.Equal("ok", body.GetProperty("status").GetString());
        Assert.Equal("disabled", body.GetProperty("link").GetString());
        var probes = body.GetProperty("probes").EnumerateArray().ToDictionary(p => p.GetProperty("name").GetString()!, p => p.GetProperty("alive").GetBoolean());
        Assert.True(probes["coap"]);
        Assert.True(probes["storage"]);
    }
}
