using System.Net;
using System.Net.Sockets;
using Gateway.Coap;
using Gateway.Coap.Codec;
using Gateway.Coap.Messages;
using Gateway.Coap.Server;
using Gateway.Coap.Transport;

namespace Gateway.Bench;

/// <summary>
/// Bytes allocated per request on the CoAP receive path: our endpoint over real UDP in this process,
/// a raw blocking socket as the client (it allocates nothing per request), a cached response.
/// </summary>
internal static class CoapAllocationBench
{
    public static Task<int> RunAsync(string[] args)
    {
        int requests = args.Length > 0 && int.TryParse(args[0], out int n) ? n : 50_000;
        var server = new CoapServer();
        var cached = CoapResponse.Text(CoapCode.Content, "21.5");
        server.Add("", new DelegateResource("temp").On(CoapCode.Get, _ => cached));
        using var endpoint = new CoapEndpoint(new UdpDatagramTransport(new IPEndPoint(IPAddress.Loopback, 0)), server,
            new CoapEndpointOptions { ReceiveThreads = 1 });
        endpoint.Start();

        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        var destination = ((IPEndPoint)endpoint.LocalEndPoint).Serialize();
        var sender = new SocketAddress(AddressFamily.InterNetwork);
        var request = CoapCodec.Encode(new CoapMessage(CoapMessageType.Confirmable, CoapCode.Get, 0, new byte[] { 1, 2 },
            [CoapOption.FromString(CoapOptionNumber.UriPath, "temp")]));
        var response = new byte[1500];
        int next = 0;
        void Exchange(int count)
        {
            for (int i = 0; i < count; i++, next++)
            {
                // A fresh Message ID each time (wrapping after 65,536 replays from the dedup cache, also allocation-free).
                request[2] = (byte)(next >> 8);
                request[3] = (byte)next;
                socket.SendTo(request, SocketFlags.None, destination);
                socket.ReceiveFrom(response, SocketFlags.None, sender);
            }
        }

        Exchange(20_000); // warm-up: JIT tiers, dictionary growth, pools
        long before = GC.GetTotalAllocatedBytes(precise: true);
        int collections = GC.CollectionCount(0);
        Exchange(requests);
        long allocated = GC.GetTotalAllocatedBytes(precise: true) - before;
        Console.WriteLine($"{requests} confirmable GETs: {allocated / (double)requests:F0} bytes allocated per request, " +
            $"{GC.CollectionCount(0) - collections} gen0 collections");
        return Task.FromResult(0);
    }
}
