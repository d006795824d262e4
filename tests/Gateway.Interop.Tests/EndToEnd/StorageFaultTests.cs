using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Gateway.Coap.Codec;
using Gateway.Coap.Messages;
using Gateway.Interop.Tests.Faults;
using Gateway.Interop.Tests.Support;
using Gateway.Storage;
using Microsoft.Data.Sqlite;
using Gateway.TestKit;
using Xunit.Abstractions;

namespace Gateway.Interop.Tests.EndToEnd;

/// <summary>
/// Issue 18, storage faults, against the running gateway (reliability.md R2/R7 in the CI form). A preloaded shim
/// (<see cref="FaultShim"/>) makes the N-th <c>fsync</c> or <c>pwrite</c> on the database's files fail with EIO (and
/// the two after it), for N = 1…50 each; then a "read-only remount": every write and sync fails with EROFS for a while. A
/// device posts numbered telemetry throughout. While commits fail the answer is 5.03 with Max-Age, never 2.01 and
/// never 5.00; once the fault is gone writes are accepted again without a restart; after a final SIGKILL the database
/// passes integrity_check and holds every acknowledged message.
/// <para>
/// Why a preloaded shim and these calls: SQLite's unix VFS writes with <c>pwrite</c>, and the e_sqlite3 bundle syncs
/// with <c>fsync</c> (<c>strace -c</c> of a commit loop shows only those two). <c>strace -e inject=…:when=N</c> was
/// tried first: its counter is per thread, and the gateway commits from whichever thread-pool thread runs its
/// writer, so most "N-th fsync" faults never met a commit. The shim counts over the whole process and only on files
/// under the data directory, so the runtime's other writes (logs, the status file) are untouched. A real read-only
/// remount is not possible here while the database is open for writing (the kernel refuses it with EBUSY; ext4's
/// errors=remount-ro is what makes one happen under a running service), so the test gives SQLite exactly what it
/// sees then: EROFS from every write and sync.
/// </para>
/// <para>Negative controls: every fsync fault must produce at least one 5.03 (else the injection missed and the
/// test fails), and the verifier must report a message it is shown as acknowledged but that is not stored.</para>
/// </summary>
public sealed class StorageFaultTests(ITestOutputHelper output)
{
    private const int MaxN = 50, FaultWidth = 3;

    [Fact]
    public async Task FaultAtTheNthSyncOrWrite_AndReadOnly_Answers503WithMaxAge_NeverAcksUncommitted_RecoversByItself()
    {
        string dataDir = Path.Combine(Path.GetTempPath(), $"coapgw-e2e-faults-{Guid.NewGuid():N}");
        try
        {
            string token = await CloudSide.AddDeviceAsync(dataDir, "Fault Dev");
            using var shim = await FaultShim.CreateAsync(dataDir);
            await using var gateway = await GatewayProcess.StartAsync(dataDir, null, shim.Environment);
            using var device = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
            device.Bind(new IPEndPoint(IPAddress.Loopback, 0));
            var acked = new List<int>();
            var refused = new List<int>();
            int seq = 0, cyclesRefused = 0, syncCyclesWithoutRefusal = 0, otherAnswers = 0;
            var clock = Stopwatch.StartNew();

            async Task<CoapCode?> PostNext()
            {
                int n = ++seq;
                var (code, maxAge) = await PostAsync(device, gateway.IPv4EndPoint, token, n);
                if (code == CoapCode.Created) acked.Add(n);
                else if (code == CoapCode.ServiceUnavailable && maxAge > 0) refused.Add(n);
                else
                {
                    otherAnswers++;
                    output.WriteLine($"post {n}: {(code?.ToString() ?? "no answer")} max-age {maxAge}");
                }
                return code;
            }

            Assert.Equal(CoapCode.Created, await PostNext());
            foreach (var call in new[] { "sync", "write" })
            {
                for (int n = 1; n <= MaxN; n++)
                {
                    shim.Arm(call, n, n + FaultWidth - 1, FaultShim.EIO);
                    // Enough writes to reach the N-th call and pass the failing ones; stop after the first refusal.
                    int before = refused.Count;
                    for (int i = 0; i < n + 2 * FaultWidth && refused.Count == before; i++) await PostNext();
                    if (refused.Count > before) cyclesRefused++;
                    else if (call == "sync")
                    {
                        syncCyclesWithoutRefusal++;
                        output.WriteLine($"fsync N={n}: no refusal");
                    }
                    shim.Disarm();
                    // Recovered by itself: the next writes are acknowledged, with no restart.
                    Assert.True(await PostNext() == CoapCode.Created && await PostNext() == CoapCode.Created,
                        $"{call} N={n}: not accepting writes after the fault\n{Tail(gateway.Output)}");
                    Assert.False(gateway.HasExited, $"{call} N={n}: the gateway exited\n{Tail(gateway.Output)}");
                }
            }

            // Read-only: every write and sync fails until "remounted" read-write.
            int readOnlyAcked = 0, readOnlyRefused = 0;
            foreach (var call in new[] { "write", "sync" })
            {
                shim.Arm(call, 1, long.MaxValue, FaultShim.EROFS);
                for (int i = 0; i < 5; i++)
                {
                    var code = await PostNext();
                    if (code == CoapCode.Created) readOnlyAcked++;
                    if (code == CoapCode.ServiceUnavailable) readOnlyRefused++;
                }
            }
            shim.Disarm();
            Assert.True(await PostNext() == CoapCode.Created, $"not accepting writes after the read-only period\n{Tail(gateway.Output)}");

            // Power stays on, but the process dies: what was acknowledged must be in the file.
            gateway.Kill();
            var (stored, integrity) = ReadStored(dataDir);
            var missing = acked.Where(a => !stored.Contains(a)).ToList();
            int refusedButStored = refused.Count(stored.Contains);
            string figures = string.Create(CultureInfo.InvariantCulture,
                $"storage faults: {2 * MaxN} injections (fsync and pwrite, N=1..{MaxN}, EIO x{FaultWidth}) + read-only, {clock.Elapsed.TotalSeconds:F0} s: " +
                $"{acked.Count} acked, {refused.Count} answered 5.03, {otherAnswers} other answers, {cyclesRefused} faults refused writes " +
                $"({syncCyclesWithoutRefusal} fsync faults without one), read-only: {readOnlyRefused} 5.03 / {readOnlyAcked} 2.01; " +
                $"after SIGKILL: integrity {integrity}, {missing.Count} acked missing, {refusedButStored} refused but stored");
            output.WriteLine(figures);
            Figures.Report(figures);

            Assert.Equal("ok", integrity);
            Assert.Empty(missing);
            Assert.Equal(0, otherAnswers);
            Assert.Equal(0, syncCyclesWithoutRefusal);
            Assert.Equal(0, readOnlyAcked);
            Assert.Equal(10, readOnlyRefused);

            // Negative control: a lost acknowledged row (deleted here) is reported by the same verifier.
            int victim = acked[^1];
            using (var database = SqliteDatabase.Open(new StorageOptions { DataDir = dataDir }))
            using (var connection = database.OpenConnection())
            using (var delete = connection.CreateCommand())
            {
                delete.CommandText = "DELETE FROM outbox WHERE CAST(payload AS TEXT) LIKE $p";
                delete.Parameters.AddWithValue("$p", $"%\"seq\":{victim.ToString(CultureInfo.InvariantCulture)}}}%");
                Assert.Equal(1, delete.ExecuteNonQuery());
            }
            SqliteConnection.ClearAllPools();
            var (afterLoss, _) = ReadStored(dataDir);
            Assert.Equal([victim], acked.Where(a => !afterLoss.Contains(a)));
        }
        finally
        {
            try { Directory.Delete(dataDir, recursive: true); } catch (IOException) { }
        }
    }

    private static string Tail(string log) => log.Length > 4000 ? log[^4000..] : log;

    /// <summary>One CON POST of <c>{"seq":n}</c>; the final answer's code and Max-Age (after an empty ACK if the commit was slow), or null after 10 s.</summary>
    internal static async Task<(CoapCode? Code, uint MaxAge)> PostAsync(Socket socket, IPEndPoint gateway, string token, int n)
    {
        var request = CoapCodec.Encode(RequestBuilder.Build(CoapCode.Post, $"api/v1/{token}/telemetry",
            Encoding.UTF8.GetBytes($"{{\"seq\":{n.ToString(CultureInfo.InvariantCulture)}}}"), 50, BitConverter.GetBytes(n)));
        request[2] = (byte)(n >> 8);
        request[3] = (byte)n;
        using var window = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        var buffer = new byte[2048];
        await socket.SendToAsync(request, gateway);
        try
        {
            while (true)
            {
                var received = await socket.ReceiveFromAsync(buffer, new IPEndPoint(IPAddress.Any, 0), window.Token);
                if (!CoapCodec.TryDecode(buffer.AsMemory(0, received.ReceivedBytes).ToArray(), out var answer, out _) || answer.IsEmpty) continue;
                if (!answer.Token.Span.SequenceEqual(BitConverter.GetBytes(n))) continue; // a late answer to an earlier request
                if (answer.Type == CoapMessageType.Confirmable)
                    await socket.SendToAsync(new byte[] { 0x60, 0, buffer[2], buffer[3] }, gateway);
                uint maxAge = 0;
                foreach (var option in answer.Options)
                    if (option.Number == CoapOptionNumber.MaxAge && option.TryGetUInt(out var value)) maxAge = value;
                return (answer.Code, maxAge);
            }
        }
        catch (OperationCanceledException)
        {
            return (null, 0);
        }
    }

    /// <summary>The <c>seq</c> of every telemetry row in the outbox, and integrity_check's verdict.</summary>
    private static (HashSet<int> Stored, string Integrity) ReadStored(string dataDir)
    {
        using var database = SqliteDatabase.Open(new StorageOptions { DataDir = dataDir, IntegrityCheckOnOpen = IntegrityCheck.Full });
        string integrity = string.Join(",", database.CheckIntegrity(full: true));
        using var connection = database.OpenConnection();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT payload FROM outbox";
        var stored = new HashSet<int>();
        using var reader = command.ExecuteReader();
        while (reader.Read())
        {
            string payload = Encoding.UTF8.GetString((byte[])reader.GetValue(0));
            int at = payload.IndexOf("\"seq\":", StringComparison.Ordinal);
            if (at < 0) continue;
            int end = at + 6;
            while (end < payload.Length && char.IsAsciiDigit(payload[end])) end++;
            stored.Add(int.Parse(payload.AsSpan(at + 6, end - at - 6), CultureInfo.InvariantCulture));
        }
        SqliteConnection.ClearAllPools();
        return (stored, integrity);
    }
}
