using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Gateway.Coap.Codec;
using Gateway.Coap.Messages;
using Gateway.Interop.Tests.Support;
using Gateway.TestKit;

namespace Gateway.Interop.Tests.EndToEnd;

/// <summary>
/// reliability.md S4 (RFC 7252 §11.3): to peers nobody has verified, the running gateway answers at most 3× the
/// bytes it was sent, for every request shape of both device APIs without valid credentials, discovery, unknown
/// paths and malformed datagrams; and none of them leaves an Observe relation behind. Each request comes from its
/// own loopback address, so the brute-force limiter (which would answer with silence) does not hide the answers.
/// </summary>
public sealed class AmplificationTests
{
    private const string Token = "NOT_A_VALID_TOKEN";
    private static readonly string Cik = new('e', 40);

    private static CoapMessage Request(CoapCode method, string pathAndQuery, string? payload = null, int? format = null, params CoapOption[] extra) =>
        RequestBuilder.Build(method, pathAndQuery, payload is null ? null : Encoding.UTF8.GetBytes(payload), format, extra: extra);

    private static readonly CoapOption ObserveRegister = CoapOption.FromUInt(CoapOptionNumber.Observe, 0);

    public static TheoryData<string, byte[]> Corpus()
    {
        var data = new TheoryData<string, byte[]>();
        void Add(string name, CoapMessage message) => data.Add(name, CoapCodec.Encode(message));
        Add("TB telemetry", Request(CoapCode.Post, $"api/v1/{Token}/telemetry", "{\"t\":1}", 50));
        Add("TB attributes POST", Request(CoapCode.Post, $"api/v1/{Token}/attributes", "{\"a\":1}", 50));
        Add("TB attributes GET", Request(CoapCode.Get, $"api/v1/{Token}/attributes?sharedKeys=a"));
        Add("TB attributes observe", Request(CoapCode.Get, $"api/v1/{Token}/attributes", extra: ObserveRegister));
        Add("TB rpc observe", Request(CoapCode.Get, $"api/v1/{Token}/rpc", extra: ObserveRegister));
        Add("TB client rpc", Request(CoapCode.Post, $"api/v1/{Token}/rpc", "{\"method\":\"getCurrentTime\",\"params\":{}}", 50));
        Add("TB rpc reply", Request(CoapCode.Post, $"api/v1/{Token}/rpc/1", "{}", 50));
        Add("TB claim", Request(CoapCode.Post, $"api/v1/{Token}/claim", "{}", 50));
        Add("TB unknown feature", Request(CoapCode.Get, $"api/v1/{Token}/nonsense"));
        Add("TB firmware", Request(CoapCode.Get, $"api/v1/{Token}/firmware?title=fw&version=1"));
        Add("TB fw chunk", Request(CoapCode.Get, $"fw/{Token}?title=fw&version=1&size=512&chunk=0"));
        Add("TB provision", Request(CoapCode.Post, "api/v1/provision", "{\"deviceName\":\"x\",\"provisionDeviceKey\":\"k\",\"provisionDeviceSecret\":\"s\"}", 50));
        Add("Exosite write", Request(CoapCode.Post, $"1a/temp?{Cik}", "1"));
        Add("Exosite read", Request(CoapCode.Get, $"1a/temp?{Cik}"));
        Add("Exosite observe", Request(CoapCode.Get, $"1a/temp?{Cik}", extra: ObserveRegister));
        Add("Exosite activate", Request(CoapCode.Post, "provision/activate/acme/sensor/001"));
        Add("Exosite content list", Request(CoapCode.Get, $"provision/download/acme/sensor?{Cik}"));
        Add("Exosite rpc", Request(CoapCode.Post, "rpc", "{\"auth\":{\"cik\":\"" + Cik + "\"},\"calls\":[]}", 50));
        Add("Exosite timestamp", Request(CoapCode.Get, "ts"));
        Add("discovery", Request(CoapCode.Get, ".well-known/core"));
        Add("discovery filtered", Request(CoapCode.Get, ".well-known/core?rt=x*"));
        Add("discovery block past the end", Request(CoapCode.Get, ".well-known/core",
            extra: new BlockOption(9, false, 0).ToOption(CoapOptionNumber.Block2)));
        Add("unknown path", Request(CoapCode.Get, "no/such/thing"));
        Add("method not allowed", Request(CoapCode.Delete, ".well-known/core"));
        Add("unknown critical option", Request(CoapCode.Get, "a", extra: new CoapOption(9, new byte[] { 1 })));
        Add("path not UTF-8", new CoapMessage(CoapMessageType.Confirmable, CoapCode.Get, 0, new byte[] { 1 }, [new CoapOption(CoapOptionNumber.UriPath, new byte[] { 0xC3, 0x28 })]));
        data.Add("reserved option nibble", Convert.FromHexString("42021234beef0f"));
        data.Add("marker without payload", Convert.FromHexString("4001123466ff"));
        data.Add("ping", Convert.FromHexString("40001234"));
        return data;
    }

    [Fact]
    public async Task EveryUnauthenticatedAnswer_IsAtMostThreeTimesItsRequest_AndCreatesNoObserveState()
    {
        int httpPort = FreePort.Tcp();
        await using var gateway = await GatewayProcess.StartAsync(null, $"--Http:Port={httpPort.ToString(CultureInfo.InvariantCulture)}", "--Http:Address=127.0.0.1");
        var failures = new List<string>();
        int answered = 0, source = 10;
        foreach (var row in Corpus())
        {
            string name = (string)row[0];
            var datagram = (byte[])row[1];
            // A fresh Message ID, and a fresh source address per request (127.0.0.0/8 is all loopback).
            datagram[2] = (byte)(source >> 8);
            datagram[3] = (byte)source;
            using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp) { ReceiveTimeout = 3000 };
            socket.Bind(new IPEndPoint(IPAddress.Parse($"127.0.{source / 250}.{source % 250 + 1}"), 0));
            source++;
            await socket.SendToAsync(datagram, gateway.IPv4EndPoint);
            var buffer = new byte[2048];
            int total = 0;
            // An empty ACK may come first (separate response): count every datagram for this request within the window.
            using var window = new CancellationTokenSource(TimeSpan.FromSeconds(3));
            try
            {
                while (true)
                {
                    var received = await socket.ReceiveFromAsync(buffer, new IPEndPoint(IPAddress.Any, 0), window.Token);
                    total += received.ReceivedBytes;
                    if (!(received.ReceivedBytes == 4 && buffer[1] == 0 && buffer[0] >> 4 == 6)) break; // not an empty ACK: the answer
                }
            }
            catch (OperationCanceledException) { }
            if (total > 0) answered++;
            if (total > 3 * datagram.Length) failures.Add($"{name}: {total} bytes answered {datagram.Length}");
        }
        Assert.True(failures.Count == 0, string.Join("\n", failures) + "\n" + gateway.Output);
        Assert.True(answered >= 20, $"only {answered} requests were answered at all; the test measures nothing\n{gateway.Output}");

        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        string metrics = await http.GetStringAsync($"http://127.0.0.1:{httpPort}/metrics");
        Assert.Contains("\ncoapgw_coap_observers 0\n", "\n" + metrics, StringComparison.Ordinal);
    }
}
