using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Gateway.Bench.Coap;
using Org.BouncyCastle.Security;
using Org.BouncyCastle.Tls;
using Org.BouncyCastle.Tls.Crypto.Impl.BC;

namespace Gateway.Bench;

/// <summary>
/// <c>Bench dtls</c>: CoAP over DTLS 1.2 with a pre-shared key, our gateway against libcoap's
/// <c>coap-server-openssl</c> with the same key, on the same generator (BouncyCastle DTLS clients over
/// loopback UDP), a fresh server process per round, servers interleaved. Two figures per server:
/// full handshakes per second (connect, close_notify, again) and confirmable GETs per second over
/// established sessions (N sessions, one request outstanding each). Servers are stopped by PID.
/// </summary>
internal static class DtlsBench
{
    private const string Identity = "bench-psk";
    private const string Key = "bench pre-shared key 0123456789";
    private const string GatewayDllRelative = "gateway/Gateway.Host/bin/Release/net10.0/coap-gateway.dll";

    public static int Run(string[] args)
    {
        int seconds = 5, sessions = 16, rounds = 3, handshakeThreads = 2;
        string? binary = null;
        for (int i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--seconds": seconds = int.Parse(args[++i], CultureInfo.InvariantCulture); break;
                case "--sessions": sessions = int.Parse(args[++i], CultureInfo.InvariantCulture); break;
                case "--rounds": rounds = int.Parse(args[++i], CultureInfo.InvariantCulture); break;
                case "--gateway-binary": binary = Path.GetFullPath(args[++i]); break;
                case "--help":
                    Console.WriteLine("Bench dtls [--seconds 5] [--sessions 16] [--rounds 3] [--gateway-binary PATH]   (without a binary: build gateway/Gateway.Host in Release first)");
                    return 0;
                default:
                    Console.Error.WriteLine($"dtls bench: unknown option {args[i]}");
                    return 2;
            }
        }
        var root = CoapBench.FindRepositoryRoot();
        // The gateway as "dotnet coap-gateway.dll" (JIT), or the executable given (the NativeAOT build users run).
        string[] gateway;
        if (binary is not null)
        {
            if (!File.Exists(binary))
            {
                Console.Error.WriteLine($"dtls bench: {binary} not found");
                return 2;
            }
            gateway = [binary];
        }
        else
        {
            var dll = root is null ? null : Path.Combine(root, GatewayDllRelative);
            if (dll is null || !File.Exists(dll))
            {
                Console.Error.WriteLine($"dtls bench: {GatewayDllRelative} not found; dotnet build -c Release gateway/Gateway.Host");
                return 2;
            }
            gateway = ["dotnet", dll];
        }

        var results = new Dictionary<string, List<(Phase Handshakes, Phase Gets)>> { ["libcoap"] = [], ["gateway"] = [] };
        for (int round = 1; round <= rounds; round++)
        {
            foreach (var name in round % 2 == 1 ? new[] { "libcoap", "gateway" } : ["gateway", "libcoap"])
            {
                using var server = name == "libcoap" ? StartLibcoap() : StartGateway(gateway);
                var handshakes = MeasureHandshakes(server.EndPoint, handshakeThreads, TimeSpan.FromSeconds(seconds), server.Pid);
                var gets = MeasureGets(server.EndPoint, server.Path, sessions, TimeSpan.FromSeconds(seconds), server.Pid);
                results[name].Add((handshakes, gets));
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"round {round} {name,-8} handshakes/s {handshakes.Rate,8:F1} ({handshakes.CpuMicros,5:F1} µs CPU each)   GET/s over {sessions} sessions {gets.Rate,9:F0} ({gets.CpuMicros,5:F2} µs CPU each)"));
            }
        }
        double Median(IEnumerable<double> values) { var v = values.Order().ToArray(); return v[v.Length / 2]; }
        (double H, double HCpu, double G, double GCpu) Medians(string name) => (Median(results[name].Select(r => r.Handshakes.Rate)),
            Median(results[name].Select(r => r.Handshakes.CpuMicros)), Median(results[name].Select(r => r.Gets.Rate)), Median(results[name].Select(r => r.Gets.CpuMicros)));
        var l = Medians("libcoap");
        var g = Medians("gateway");
        Console.WriteLine();
        Console.WriteLine("| server | PSK handshakes/s | server CPU µs per handshake | GET/s over established sessions | server CPU µs per GET |");
        Console.WriteLine("|---|---|---|---|---|");
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| libcoap coap-server-openssl | {l.H:F0} | {l.HCpu:F1} | {l.G:F0} | {l.GCpu:F2} |"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"| gateway | {g.H:F0} ({g.H / l.H:F2}×) | {g.HCpu:F1} ({g.HCpu / l.HCpu:F2}×) | {g.G:F0} ({g.G / l.G:F2}×) | {g.GCpu:F2} ({g.GCpu / l.GCpu:F2}×) |"));
        return 0;
    }

    /// <summary>A phase's rate and the server's CPU time per operation (from /proc over the phase).</summary>
    private readonly record struct Phase(double Rate, double CpuMicros)
    {
        public static Phase Of(long operations, TimeSpan elapsed, ProcessCpu before, ProcessCpu after) =>
            new(operations / elapsed.TotalSeconds, operations == 0 ? 0 : ProcessCpu.Between(before, after).Nanos / 1000.0 / operations);
    }

    private static Phase MeasureHandshakes(IPEndPoint server, int threads, TimeSpan duration, int serverPid)
    {
        long done = 0, failed = 0;
        var cpu = ProcessCpu.Read(serverPid);
        var clock = Stopwatch.StartNew();
        var workers = Enumerable.Range(0, threads).Select(_ => new Thread(() =>
        {
            while (clock.Elapsed < duration)
            {
                try
                {
                    using var client = new UdpDtlsClient(server);
                    client.Connect().Close();
                    Interlocked.Increment(ref done);
                }
                catch (Exception e) when (e is TlsFatalAlert or TlsTimeoutException or IOException or SocketException)
                {
                    Interlocked.Increment(ref failed);
                }
            }
        })).ToList();
        workers.ForEach(w => w.Start());
        workers.ForEach(w => w.Join());
        var phase = Phase.Of(done, clock.Elapsed, cpu, ProcessCpu.Read(serverPid));
        if (failed > 0) Console.WriteLine($"  ({failed} handshakes failed)");
        return phase;
    }

    private static Phase MeasureGets(IPEndPoint server, string path, int sessions, TimeSpan duration, int serverPid)
    {
        var clients = Enumerable.Range(0, sessions).Select(_ => new UdpDtlsClient(server)).ToList();
        var transports = clients.Select(c => c.Connect()).ToList();
        long answered = 0, lost = 0;
        var cpu = ProcessCpu.Read(serverPid);
        var clock = Stopwatch.StartNew();
        var workers = transports.Select((transport, index) => new Thread(() =>
        {
            var buffer = new byte[2048];
            ushort mid = (ushort)(index * 4096);
            while (clock.Elapsed < duration)
            {
                mid++;
                var request = Get(mid, path);
                transport.Send(request, 0, request.Length);
                // Closed loop: wait for the piggybacked answer to this MID (a lost one is counted and skipped).
                int length;
                do length = transport.Receive(buffer, 0, buffer.Length, 2000);
                while (length >= 4 && (buffer[2] << 8 | buffer[3]) != mid);
                if (length >= 4) Interlocked.Increment(ref answered);
                else Interlocked.Increment(ref lost);
            }
        })).ToList();
        workers.ForEach(w => w.Start());
        workers.ForEach(w => w.Join());
        var phase = Phase.Of(answered, clock.Elapsed, cpu, ProcessCpu.Read(serverPid));
        foreach (var transport in transports) transport.Close();
        foreach (var client in clients) client.Dispose();
        if (lost > 0) Console.WriteLine($"  ({lost} GETs unanswered within 2 s)");
        return phase;
    }

    // CON GET with a 2-byte token (RFC 7252 §3) and the path as Uri-Path options (11, §5.10.1).
    private static byte[] Get(ushort mid, string path)
    {
        var bytes = new List<byte> { 0x42, 0x01, (byte)(mid >> 8), (byte)mid, (byte)(mid >> 8), (byte)mid };
        int previous = 0;
        foreach (var segment in path.Split('/', StringSplitOptions.RemoveEmptyEntries))
        {
            var value = Encoding.UTF8.GetBytes(segment);
            int delta = 11 - previous;
            previous = 11;
            if (value.Length < 13) bytes.Add((byte)(delta << 4 | value.Length));
            else { bytes.Add((byte)(delta << 4 | 13)); bytes.Add((byte)(value.Length - 13)); }
            bytes.AddRange(value);
        }
        return [.. bytes];
    }

    private static BenchDtlsServer StartLibcoap()
    {
        int port = FreePort(2);
        var process = Process.Start(new ProcessStartInfo("coap-server-openssl", ["-A", "127.0.0.1", "-p", port.ToString(CultureInfo.InvariantCulture), "-k", Key, "-v", "0"])
            { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true })
            ?? throw new InvalidOperationException("coap-server-openssl did not start");
        return BenchDtlsServer.WaitUntilServing(process, new IPEndPoint(IPAddress.Loopback, port + 1), "/", null);
    }

    private static BenchDtlsServer StartGateway(string[] gateway)
    {
        var data = Path.Combine(Path.GetTempPath(), $"coapgw-dtls-bench-{Guid.NewGuid():N}");
        var add = Process.Start(new ProcessStartInfo(gateway[0], [.. gateway[1..], "devices", "add", "bench-psk", "--psk-identity", Identity, "--psk-key", Key, $"--data-dir={data}"])
            { UseShellExecute = false, RedirectStandardOutput = true })!;
        add.StandardOutput.ReadToEnd();
        add.WaitForExit();
        if (add.ExitCode != 0) throw new InvalidOperationException($"coap-gateway devices add failed (exit {add.ExitCode})");
        int port = FreePort(2);
        var process = Process.Start(new ProcessStartInfo(gateway[0],
            [.. gateway[1..], "run", "--Coap:Address=127.0.0.1", $"--Coap:Port={port}", "--Coap:Dtls:Enabled=true", $"--Coap:Dtls:Port={port + 1}", "--Http:Port=0", "--Admin:Enabled=false", $"--data-dir={data}"])
            { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true })
            ?? throw new InvalidOperationException("coap-gateway did not start");
        return BenchDtlsServer.WaitUntilServing(process, new IPEndPoint(IPAddress.Loopback, port + 1), "/.well-known/core", data);
    }

    // Two consecutive free loopback UDP ports (libcoap puts DTLS on port + 1; the gateway gets the same layout).
    private static int FreePort(int count)
    {
        for (int attempt = 0; attempt < 100; attempt++)
        {
            using var first = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
            first.Bind(new IPEndPoint(IPAddress.Loopback, 0));
            int port = ((IPEndPoint)first.LocalEndPoint!).Port;
            if (port + count > 65535) continue;
            try
            {
                using var second = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
                second.Bind(new IPEndPoint(IPAddress.Loopback, port + 1));
                return port;
            }
            catch (SocketException)
            {
            }
        }
        throw new InvalidOperationException("no two consecutive free UDP ports");
    }

    /// <summary>A started server process and where its DTLS listener is; disposing stops it by PID and removes its data.</summary>
    private sealed class BenchDtlsServer(Process process, IPEndPoint endPoint, string path, string? dataDir) : IDisposable
    {
        public IPEndPoint EndPoint { get; } = endPoint;

        public string Path { get; } = path;

        public int Pid => process.Id;

        public static BenchDtlsServer WaitUntilServing(Process process, IPEndPoint endPoint, string path, string? dataDir)
        {
            // Read and dropped: an output pipe left full would hold the server's logging threads, and with them the
            // server (the gateway logs a line per handshake).
            process.OutputDataReceived += static (_, _) => { };
            process.ErrorDataReceived += static (_, _) => { };
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
            var server = new BenchDtlsServer(process, endPoint, path, dataDir);
            var deadline = Stopwatch.StartNew();
            while (true)
            {
                try
                {
                    using var probe = new UdpDtlsClient(endPoint);
                    probe.Connect().Close();
                    return server;
                }
                catch (Exception e) when (e is TlsFatalAlert or TlsTimeoutException or IOException or SocketException && deadline.Elapsed < TimeSpan.FromSeconds(30) && !process.HasExited)
                {
                    Thread.Sleep(200);
                }
            }
        }

        public void Dispose()
        {
            try { process.Kill(entireProcessTree: true); } catch (InvalidOperationException) { }
            process.WaitForExit(10_000);
            process.Dispose();
            if (dataDir is not null) try { Directory.Delete(dataDir, recursive: true); } catch (IOException) { }
        }
    }

    /// <summary>A BouncyCastle DTLS 1.2 PSK client over its own connected loopback UDP socket.</summary>
    private sealed class UdpDtlsClient : DatagramTransport, IDisposable
    {
        private readonly Socket _socket = new(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);

        public UdpDtlsClient(IPEndPoint server)
        {
            _socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
            _socket.Connect(server);
        }

        public DtlsTransport Connect() => new DtlsClientProtocol().Connect(new PskClient(), this);

        public int GetReceiveLimit() => 2048;

        public int GetSendLimit() => 1232;

        public int Receive(byte[] buf, int off, int len, int waitMillis)
        {
            if (!_socket.Poll(TimeSpan.FromMilliseconds(waitMillis), SelectMode.SelectRead)) return -1;
            try
            {
                return _socket.Receive(buf, off, len, SocketFlags.None);
            }
            catch (SocketException)
            {
                return -1; // ICMP port unreachable from a server not yet listening
            }
        }

        public void Send(byte[] buf, int off, int len) => _socket.Send(buf, off, len, SocketFlags.None);

        public int Receive(Span<byte> buffer, int waitMillis)
        {
            if (!_socket.Poll(TimeSpan.FromMilliseconds(waitMillis), SelectMode.SelectRead)) return -1;
            try { return _socket.Receive(buffer, SocketFlags.None); } catch (SocketException) { return -1; }
        }

        public void Send(ReadOnlySpan<byte> buffer) => _socket.Send(buffer, SocketFlags.None);

        public void Close() { }

        public void Dispose() => _socket.Dispose();
    }

    private sealed class PskClient()
        : PskTlsClient(new BcTlsCrypto(new SecureRandom()), Encoding.UTF8.GetBytes(Identity), Encoding.UTF8.GetBytes(Key))
    {
        protected override ProtocolVersion[] GetSupportedVersions() => ProtocolVersion.DTLSv12.Only();

        // RFC 7252 §9.1.3.1's mandatory suite: both servers must speak it.
        protected override int[] GetSupportedCipherSuites() => [CipherSuite.TLS_PSK_WITH_AES_128_CCM_8];

        public override int GetHandshakeTimeoutMillis() => 5000;
    }
}
