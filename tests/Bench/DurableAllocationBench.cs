using System.Net;
using Gateway.Coap.Codec;
using Gateway.Coap.Messages;
using Gateway.Host;
using Gateway.Host.Cli;
using Gateway.TestKit;
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
        // One client socket's Message IDs are 16 bits, and a reused (peer, MID) within EXCHANGE_LIFETIME is a duplicate the
        // gateway answers from its record without storing a row: each phase gets a socket of its own and at most this many.
        const int MaxRequests = 60_000;
        int requests = MaxRequests, outstanding = 16;
        for (int i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--requests": requests = int.Parse(args[++i], System.Globalization.CultureInfo.InvariantCulture); break;
                case "--n": outstanding = int.Parse(args[++i], System.Globalization.CultureInfo.InvariantCulture); break;
                default:
                    Console.Error.WriteLine($"usage: Bench coap-alloc --telemetry [--requests {MaxRequests}] [--n 16]");
                    return 2;
            }
        }
        if (requests > MaxRequests)
        {
            Console.Error.WriteLine($"coap-alloc: --requests at most {MaxRequests} (one socket's Message IDs)");
            return 2;
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
                ["Admin:Port"] = FreePort.Tcp().ToString(System.Globalization.CultureInfo.InvariantCulture), // on, as installed
                ["Logging:LogLevel:Default"] = "Warning",
            }).Build();
            using var stop = new CancellationTokenSource();
            var host = Task.Run(() => GatewayApplication.RunAsync(configuration, cancellationToken: stop.Token));
            var result = await MeasureAsync(new IPEndPoint(IPAddress.Loopback, port), requests, outstanding);
            await stop.CancelAsync();
            await host;
            // Every 2.01 counted was a row of its own, not a duplicate answered from its record.
            long rows = StoredRows(Path.Combine(data, "gateway.db"));
            if (result == 0 && rows < WarmUp + requests)
            {
                Console.Error.WriteLine($"coap-alloc: {rows} rows stored for {WarmUp + requests} requests: some were answered as duplicates");
                return 1;
            }
            return result;
        }
        finally
        {
            Directory.Delete(data, recursive: true);
        }
    }

    private const int WarmUp = 20_000;

    private static long StoredRows(string database)
    {
        using var connection = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={database};Mode=ReadOnly;Pooling=False");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT count(*) FROM outbox";
        return (long)command.ExecuteScalar()!;
    }

    private static async Task<int> MeasureAsync(IPEndPoint gateway, int requests, int outstanding)
    {
        var destination = gateway.Serialize();
        var request = CoapCodec.Encode(new CoapMessage(CoapMessageType.Confirmable, CoapCode.Post, 0, new byte[] { 1, 2, 3, 4, 5, 6, 7, 8 },
            [CoapOption.FromString(CoapOptionNumber.UriPath, "api"), CoapOption.FromString(CoapOptionNumber.UriPath, "v1"),
             CoapOption.FromString(CoapOptionNumber.UriPath, Token), CoapOption.FromString(CoapOptionNumber.UriPath, "telemetry"),
             CoapOption.FromUInt(CoapOptionNumber.ContentFormat, 50)], "{\"temperature\":21.5}"u8.ToArray()));
        using (var warmUp = new CoapPostLoop(destination, request, CoapCode.Created.Value))
        {
            await warmUp.WaitForServerAsync(TimeSpan.FromSeconds(30));
            if (warmUp.Exchange(WarmUp, outstanding) > 0) return 1; // pools, caches, the SQLite page cache
        }
        using var measured = new CoapPostLoop(destination, request, CoapCode.Created.Value); // a new peer: its Message IDs are new to the gateway
        long before = GC.GetTotalAllocatedBytes(precise: true);
        int collections = GC.CollectionCount(0);
        int unexpected = measured.Exchange(requests, outstanding);
        long allocated = GC.GetTotalAllocatedBytes(precise: true) - before;
        Console.WriteLine($"{requests} durable telemetry POSTs (N = {outstanding}): {allocated / (double)requests:F1} bytes allocated per request " +
            $"(the whole process, {allocated} B in all), {GC.CollectionCount(0) - collections} gen0 collections{(unexpected > 0 ? $", {unexpected} answers other than 2.01" : "")}");
        return unexpected > 0 ? 1 : 0;
    }
}
