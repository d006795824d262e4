using System.Net;
using System.Net.Sockets;
using Gateway.Coap.Codec;
using Gateway.Coap.Messages;
using Gateway.Coap.Server;
using Gateway.Coap.Transport;

namespace Gateway.Coap.Tests.Endpoint;

/// <summary>
/// The endpoint on the batched (recvmmsg/sendmmsg) UDP path, end to end over loopback: the receive thread still
/// allocates nothing per request, datagrams too long for Coap:MaxMessageSize are dropped, and what a batch carries is
/// answered. Linux only.
/// </summary>
public class BatchedReceivePathTests
{
    private static byte[] Get(ushort messageId, string path = "temp") => CoapCodec.Encode(new CoapMessage(CoapMessageType.Confirmable, CoapCode.Get, messageId,
        new byte[] { 1, 2, 3, 4 }, [CoapOption.FromString(CoapOptionNumber.UriPath, "sensors"), CoapOption.FromString(CoapOptionNumber.UriPath, path)]));

    [Fact]
    public void SteadyStateRequests_AllocateNothingOnTheReceiveThread()
    {
        if (!OperatingSystem.IsLinux()) return;
        const int warmup = 20_000, measured = 20_000, window = 32;
        long startBytes = 0, allocated = -1;
        int handled = 0;
        using var done = new ManualResetEventSlim();
        var cached = CoapResponse.Text(CoapCode.Content, "21.5");
        var server = new CoapServer();
        // The handler runs on the receive thread: it reads that thread's allocation counter around the measured requests.
        server.Add("sensors", new DelegateResource("temp").On(CoapCode.Get, _ =>
        {
            int n = ++handled;
            if (n == warmup) startBytes = GC.GetAllocatedBytesForCurrentThread();
            else if (n == warmup + measured)
            {
                allocated = GC.GetAllocatedBytesForCurrentThread() - startBytes;
                done.Set();
            }
            return cached;
        }));
        using var transport = new UdpDatagramTransport(new IPEndPoint(IPAddress.Loopback, 0));
        Assert.True(transport.BatchSize > 1);
        using var endpoint = new CoapEndpoint(transport, server, new CoapEndpointOptions { ReceiveThreads = 1 });
        endpoint.Start();

        using var client = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        client.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        client.ReceiveTimeout = 10_000;
        var target = (IPEndPoint)transport.LocalEndPoint;
        var request = Get(0);
        var answer = new byte[256];
        int sent = 0, answered = 0;
        void SendNext()
        {
            request[2] = (byte)(sent >> 8);
            request[3] = (byte)sent;
            client.SendTo(request, target);
            sent++;
        }
        // A window of requests outstanding, so the receive thread finds several queued per call.
        while (sent < window) SendNext();
        while (answered < warmup + measured)
        {
            int length = client.Receive(answer);
            Assert.Equal(CoapCode.Content.Value, answer[1]);
            Assert.True(answer.AsSpan(0, length).EndsWith("21.5"u8));
            answered++;
            if (sent < warmup + measured) SendNext();
        }

        Assert.True(done.Wait(TimeSpan.FromSeconds(10)));
        Assert.Equal(warmup + measured, endpoint.Statistics.Requests);
        Assert.True(allocated < 20_000, $"{allocated} bytes allocated on the receive thread for {measured} requests");
    }

    [Fact]
    public void ADatagramLongerThanMaxMessageSize_IsDropped_TheRequestsAroundItAnswered()
    {
        if (!OperatingSystem.IsLinux()) return;
        var server = new CoapServer();
        server.Add("sensors", new DelegateResource("temp").On(CoapCode.Get, _ => CoapResponse.Text(CoapCode.Content, "21.5")));
        using var transport = new UdpDatagramTransport(new IPEndPoint(IPAddress.Loopback, 0));
        using var endpoint = new CoapEndpoint(transport, server, new CoapEndpointOptions { ReceiveThreads = 1, MaxMessageSize = 256, PreferredBlockSize = 128 });
        using var client = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        client.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        client.ReceiveTimeout = 10_000;
        var target = (IPEndPoint)transport.LocalEndPoint;
        // Queued before the receive thread starts, so one recvmmsg takes all three.
        client.SendTo(Get(1), target);
        var tooLong = CoapCodec.Encode(new CoapMessage(CoapMessageType.Confirmable, CoapCode.Get, 2, new byte[] { 9 },
            [CoapOption.FromString(CoapOptionNumber.UriPath, "sensors"), CoapOption.FromString(CoapOptionNumber.UriPath, "temp"),
             CoapOption.FromString(CoapOptionNumber.UriQuery, new string('x', 250))]));
        client.SendTo(tooLong, target);
        client.SendTo(Get(3), target);
        endpoint.Start();

        var answer = new byte[256];
        var ids = new List<int>();
        for (int i = 0; i < 2; i++)
        {
            client.Receive(answer);
            ids.Add(answer[2] << 8 | answer[3]);
        }
        Assert.Equal([1, 3], ids.Order());
        SpinWait.SpinUntil(() => endpoint.Statistics.DatagramsReceived == 3, TimeSpan.FromSeconds(10));
        Assert.Equal(3, endpoint.Statistics.DatagramsReceived);
        Assert.Equal(1, endpoint.Statistics.Ignored);
        Assert.Equal(2, endpoint.Statistics.Requests);
        client.ReceiveTimeout = 200;
        Assert.Throws<SocketException>(() => client.Receive(answer)); // nothing answered the long one (it could have been cut anywhere)
    }
}
