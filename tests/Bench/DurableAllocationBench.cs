using System.Net;
using System.Net.Sockets;
using Gateway.Coap.Codec;
using Gateway.Coap.Messages;
using Gateway.Host;
using Gateway.Host.Cli;
using Microsoft.Extensions.Configuration;

namespace Gateway.Bench;

/// <summary>
/// Bytes allocated per durable telemetry POST (issue 21: "0 B per request on the synchronous part"): the whole
/// gateway host in this process (the configuration users run, HTTP off, no broker), a registered device, and a
/// raw socket keeping N confirmable POSTs outstanding (it allocates nothing per request). Every counted answer is
/// a 2.01 that came after the commit, so the figure covers the receive, the parse, the outbox's group commit and
/// the answer; the process's allocation over the measured requests is divided by their number.
/// </summary>
internal static class DurableAllocationBench
{
    private const string Token = "ALLOC_BENCH_TOKEN_0123";

    public static async Task<int> RunAsync(string[] args)
    {
        int requests = 100_000, outstanding = 16;
        for (int i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--requests": requests = int.Parse(args[++i], System.Globalization.CultureInfo.InvariantCulture); break;
                case "--n": outstanding = int.Parse(args[++i], System.Globalization.CultureInfo.InvariantCulture); break;
                default:
                    Console.Error.WriteLine("usage: Bench coap-alloc --telemetry [--requests 100000] [--n 16]");
                    return 2;
            }
        }
        var data = Directory.CreateTempSubdirectory("coapgw-alloc-").FullName;
        try
        {
            if (await GatewayCommandLine.InvokeAsync(["devices", "add", "alloc-bench", "--token", Token, $"--data-dir={data}"], TextWriter.Null) != 0)
            {
                Console.Error.WriteLine("coap-alloc: devices add failed");
                return 1;
            }
            int port = CoapBench.FreePort();
            var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
            {
                ["Storage:DataDir"] = data,
                ["Coap:Address"] = "127.0.0.1",
                ["Coap:Port"] = port.ToString(System.Globalization.CultureInfo.InvariantCulture),
                ["Http:Port"] = "0",
                ["Admin:Port"] = CoapBench.FreeTcpPort().ToString(System.Globalization.CultureInfo.InvariantCulture), // on, as installed
                ["Logging:LogLevel:Default"] = "Warning",
            }).Build();
            using var stop = new CancellationTokenSource();
            var host = Task.Run(() => GatewayApplication.RunAsync(configuration, cancellationToken: stop.Token));
            var result = Measure(new IPEndPoint(IPAddress.Loopback, port), requests, outstanding);
            await stop.CancelAsync();
            await host;
            return result;
        }
        finally
        {
            Directory.Delete(data, recursive: true);
        }
    }

    private static int Measure(IPEndPoint gateway, int requests, int outstanding)
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        socket.ReceiveTimeout = 100;
        var destination = gateway.Serialize();
        var sender = new SocketAddress(AddressFamily.InterNetwork);
        var request = CoapCodec.Encode(new CoapMessage(CoapMessageType.Confirmable, CoapCode.Post, 0, new byte[] { 1, 2, 3, 4, 5, 6, 7, 8 },
            [CoapOption.FromString(CoapOptionNumber.UriPath, "api"), CoapOption.FromString(CoapOptionNumber.UriPath, "v1"),
             CoapOption.FromString(CoapOptionNumber.UriPath, Token), CoapOption.FromString(CoapOptionNumber.UriPath, "telemetry"),
             CoapOption.FromUInt(CoapOptionNumber.ContentFormat, 50)], "{\"temperature\":21.5}"u8.ToArray()));
        var response = new byte[1500];
        int next = 0;
        void Send()
        {
            // A fresh Message ID and token each time: every request is new to the deduplicator and the durable dedup record.
            request[2] = (byte)(next >> 8);
            request[3] = (byte)next;
            request[4] = (byte)(next >> 16);
            request[5] = (byte)(next >> 24);
            next++;
            socket.SendTo(request, SocketFlags.None, destination);
        }
        // Until the host listens and answers 2.01 (it starts in the background); then the answers to the probes still
        // on their way are drained, so every answer counted later is to a request of its own phase.
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (true)
        {
            Send();
            try
            {
                int n = socket.ReceiveFrom(response, SocketFlags.None, sender);
                if (n >= 2 && response[1] == CoapCode.Created.Value) break;
            }
            catch (SocketException) when (DateTime.UtcNow < deadline)
            {
            }
        }
        try { while (true) socket.ReceiveFrom(response, SocketFlags.None, sender); }
        catch (SocketException) { }
        socket.ReceiveTimeout = 10_000; // a commit stalled for seconds fails the run rather than hanging it

        // Keeps `outstanding` requests in flight until `count` are answered; returns the answers that were not 2.01.
        int Exchange(int count)
        {
            int sent = 0, unexpected = 0;
            for (; sent < Math.Min(outstanding, count); sent++) Send();
            for (int answered = 0; answered < count; answered++)
            {
                int n = socket.ReceiveFrom(response, SocketFlags.None, sender);
                if (n < 2 || response[1] != CoapCode.Created.Value) unexpected++;
                if (sent < count)
                {
                    Send();
                    sent++;
                }
            }
            return unexpected;
        }
        Exchange(20_000); // warm-up: pools, caches, the SQLite page cache
        long before = GC.GetTotalAllocatedBytes(precise: true);
        int collections = GC.CollectionCount(0);
        int unexpected = Exchange(requests);
        long allocated = GC.GetTotalAllocatedBytes(precise: true) - before;
        Console.WriteLine($"{requests} durable telemetry POSTs (N = {outstanding}): {allocated / (double)requests:F0} bytes allocated per request " +
            $"(the whole process), {GC.CollectionCount(0) - collections} gen0 collections{(unexpected > 0 ? $", {unexpected} answers other than 2.01" : "")}");
        return unexpected > 0 ? 1 : 0;
    }
}
