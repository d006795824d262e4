using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using Gateway.Bench.Coap;

namespace Gateway.Bench;

/// <summary>
/// <c>Bench coap</c>: our gateway's CoAP front end against libcoap's <c>coap-server-notls</c> on the
/// same closed-loop generator, interleaved (libcoap, gateway, libcoap, …) so both see the same
/// neighbours on this shared 2-core machine. Issue 2's yardstick: ≥ 1.5× libcoap's resp/s at
/// N = 16–256 at no more server CPU per response. Everything runs on loopback; servers are started
/// and stopped here, by PID.
/// </summary>
internal static class CoapBench
{
    private const string GatewayDllRelative = "gateway/Gateway.Host/bin/Release/net10.0/coap-gateway.dll";
    private const double QuietPercent = 15;
    private static int _sourceCounter;

    public static Task<int> RunAsync(string[] args)
    {
        var options = CoapBenchOptions.Parse(args, out string? error);
        if (options is null)
        {
            Console.Error.WriteLine($"coap bench: {error}");
            return Task.FromResult(2);
        }
        if (options.Help)
        {
            Console.WriteLine(CoapBenchOptions.Usage);
            return Task.FromResult(0);
        }
        if (!OperatingSystem.IsLinux())
        {
            Console.Error.WriteLine("coap bench: Linux only (epoll, /proc)");
            return Task.FromResult(2);
        }
        return Task.FromResult(Run(options));
    }

    private static int Run(CoapBenchOptions options)
    {
        string? gateway = LocateGateway(options);
        if (gateway is null) return 2;
        if (!options.GatewayOnly && FindOnPath("coap-server-notls") is null)
        {
            Console.Error.WriteLine("coap bench: coap-server-notls not found; apt-get install -y --no-install-recommends libcoap3-bin (or pass --gateway-only)");
            return 2;
        }

        using var cancel = new CancellationTokenSource();
        var servers = new List<BenchServer>();
        string? dataDir = null;
        var scratchDirs = new List<string>();
        void StopAll()
        {
            foreach (var server in servers) server.Stop();
        }
        // Ctrl-C: finish cleanly (servers stopped in finally); a second Ctrl-C stops them right away.
        ConsoleCancelEventHandler onCancel = (_, e) =>
        {
            if (!cancel.IsCancellationRequested) { e.Cancel = true; cancel.Cancel(); }
            else StopAll();
        };
        EventHandler onExit = (_, _) => StopAll();
        Console.CancelKeyPress += onCancel;
        AppDomain.CurrentDomain.ProcessExit += onExit;
        using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, context => { context.Cancel = true; cancel.Cancel(); });
        try
        {
            var gatewayCommand = GatewayCommand(gateway, options);
            if (!options.GatewayOnly)
            {
                int libcoapPort = FreePort();
                servers.Add(options.Telemetry
                    ? new BenchServer("libcoap", "coap-server-notls", ["-A", "127.0.0.1", "-p", libcoapPort.ToString(CultureInfo.InvariantCulture)], libcoapPort,
                        "/example_data", BenchRequest.Write(Gateway.Coap.Messages.CoapCode.Put))
                    : new BenchServer("libcoap", "coap-server-notls", ["-A", "127.0.0.1", "-p", libcoapPort.ToString(CultureInfo.InvariantCulture)], libcoapPort, options.LibcoapPath));
            }
            if (options.Floor)
            {
                int floorPort = FreePort();
                var write = options.Telemetry ? BenchRequest.Write(Gateway.Coap.Messages.CoapCode.Post) : null;
                servers.Add(new BenchServer("floor", BuildFloor(NewScratch(scratchDirs)),
                    [floorPort.ToString(CultureInfo.InvariantCulture), options.FloorPollMicroseconds.ToString(CultureInfo.InvariantCulture)], floorPort, "/floor", write));
            }
            int gatewayPort = FreePort();
            // A fresh data directory, no HTTP listener, the status page (on by default, so every durable write is counted for
            // it as in an installed gateway) on a free port: nothing shared with a gateway already running here.
            dataDir = Directory.CreateTempSubdirectory("coapgw-bench-").FullName;
            string[] gatewayArguments = [.. gatewayCommand.Prefix, "run", $"--Coap:Port={gatewayPort}", "--Coap:Address=127.0.0.1", $"--data-dir={dataDir}", "--Http:Port=0",
                $"--Admin:Port={Gateway.TestKit.FreePort.Tcp()}"];
            if (options.Telemetry)
            {
                // One device: every 2.01 is a row committed in the database (WAL, synchronous=FULL).
                AddBenchDevice(gatewayCommand, dataDir);
                servers.Add(new BenchServer("gateway", gatewayCommand.FileName, [.. gatewayArguments, .. options.GatewayArguments],
                    gatewayPort, $"/api/v1/{BenchToken}/telemetry", BenchRequest.Write(Gateway.Coap.Messages.CoapCode.Post)));
            }
            else
            {
                servers.Add(new BenchServer("gateway", gatewayCommand.FileName, [.. gatewayArguments, .. options.GatewayArguments], gatewayPort, options.GatewayPath));
                if (options.Baseline)
                {
                    int baselinePort = FreePort();
                    string[] baselineCommand = options.BaselineDll is { } baselineDll ? ["dotnet", Path.GetFullPath(baselineDll)] : [gatewayCommand.FileName, .. gatewayCommand.Prefix];
                    servers.Add(new BenchServer("baseline", baselineCommand[0], [.. baselineCommand[1..], "run", $"--Coap:Port={baselinePort}", "--Coap:Address=127.0.0.1",
                        $"--data-dir={NewScratch(scratchDirs)}", "--Http:Port=0", $"--Admin:Port={Gateway.TestKit.FreePort.Tcp()}", .. options.BaselineArguments],
                        baselinePort, options.GatewayPath));
                }
            }

            Console.WriteLine($"generator: {options.Threads} thread(s), CON {(options.Telemetry ? "POST/PUT of 20 B JSON" : "GET")}, 8-byte token, ACK_TIMEOUT 2 s x [1, 1.5), MAX_RETRANSMIT 4; " +
                $"{options.Warmup.TotalSeconds:0.#} s warm-up + {options.Duration.TotalSeconds:0.#} s per point, {options.Rounds} round(s); {Environment.ProcessorCount} CPUs");
            Console.WriteLine(options.FreshServers
                ? $"every point starts each server afresh (libcoap: point warm-up only; gateway: {options.ServerWarmup.TotalSeconds:0.#} s at N = 16 first)" +
                  (options.LibcoapWarm && !options.GatewayOnly ? "; 'libcoap-warm' is a second run of the point in the same libcoap process" : "")
                : "servers started once and kept for every point");
            foreach (var server in servers) Console.WriteLine($"{server.Name,-8} {server.CommandLine}");

            var results = new List<LoadResult>();
            Console.WriteLine();
            Console.WriteLine(ResultTable.RawHeader);
            for (int round = 1; round <= options.Rounds; round++)
            {
                foreach (var point in options.Points)
                {
                    foreach (var server in servers)
                    {
                        cancel.Token.ThrowIfCancellationRequested();
                        bool start = options.FreshServers || server.HasExited;
                        if (start) StartServer(server, options, cancel.Token);
                        results.Add(MeasurePoint(server, server.Name, point, round, options, cancel.Token));
                        // libcoap keeps the sessions of the run it just served (and is slower for it): the
                        // figure earlier benchmarks reported, measured in the same process right after.
                        if (start && options.LibcoapWarm && server.Name == "libcoap")
                            results.Add(MeasurePoint(server, "libcoap-warm", point, round, options, cancel.Token));
                        if (options.FreshServers) server.Stop();
                    }
                }
            }

            ResultTable.Print(Console.Out, results, options.Points, options.Rounds, options.Telemetry);
            // performance.md G10: footprint under load (peak resident set since each server started).
            foreach (var server in servers)
                Console.WriteLine($"{server.Name}: peak RSS {server.PeakResidentKiB() / 1024.0:F1} MiB");
            // Server output during load is a finding in itself (console logging costs CPU): count it, show its end.
            foreach (var server in servers)
                Console.WriteLine($"{server.Name}: {server.OutputLines} line(s) of output since start{(server.OutputLines > 0 ? "; last:\n  " + string.Join("\n  ", server.Tail().Split('\n')[^Math.Min(6, (int)server.OutputLines)..]) : "")}");
            return 0;
        }
        catch (OperationCanceledException)
        {
            Console.Error.WriteLine("coap bench: interrupted");
            return 130;
        }
        catch (Exception e) when (e is InvalidOperationException or TimeoutException or SocketException or System.ComponentModel.Win32Exception)
        {
            Console.Error.WriteLine($"coap bench: {e.Message}");
            return 1;
        }
        finally
        {
            foreach (var server in servers) server.Dispose();
            if (dataDir is not null) Directory.Delete(dataDir, recursive: true);
            foreach (var dir in scratchDirs) Directory.Delete(dir, recursive: true);
            Console.CancelKeyPress -= onCancel;
            AppDomain.CurrentDomain.ProcessExit -= onExit;
        }
    }

    private static string NewScratch(List<string> dirs)
    {
        dirs.Add(Directory.CreateTempSubdirectory("coapgw-bench-").FullName);
        return dirs[^1];
    }

    private static void StartServer(BenchServer server, CoapBenchOptions options, CancellationToken cancel)
    {
        for (int attempt = 1; ; attempt++)
        {
            server.Start();
            try
            {
                server.WaitReady(TimeSpan.FromSeconds(server.Name is "libcoap" or "floor" ? 10 : 60), cancel);
                break;
            }
            catch (TimeoutException) when (attempt < 3)
            {
                // Seen on the loaded 2-core machine: a restarted server silent for a minute. A new process, not a lost round.
                Console.WriteLine($"{server.Name} did not answer after starting (attempt {attempt}); starting it again");
            }
        }
        // The JIT build's tiering and PGO settle in the first seconds of load; the AOT binary gets the
        // same treatment so both are compared alike. libcoap gets none (held sessions slow it down), nor the C floor.
        if (server.Name is "gateway" or "baseline" && options.ServerWarmup > TimeSpan.Zero)
            LoadGenerator.Run(server, new LoadPoint(16, 1), 0, NextSource(), TimeSpan.Zero, options.ServerWarmup, options.Threads, 0, cancel);
    }

    private static LoadResult MeasurePoint(BenchServer server, string label, LoadPoint point, int round, CoapBenchOptions options, CancellationToken cancel)
    {
        double busy = options.QuietWait > TimeSpan.Zero ? MachineLoad.WaitQuiet(QuietPercent, options.QuietWait, cancel) : double.NaN;
        var result = LoadGenerator.Run(server, point, round, NextSource(), options.Warmup, options.Duration, options.Threads, busy, cancel) with { Server = label };
        Console.WriteLine(ResultTable.Raw(result));
        if (server.HasExited)
            throw new InvalidOperationException($"{server.Name} exited during the point:\n{server.Tail()}");
        return result;
    }

    /// <summary>Compiles tests/Bench/Floor/coap-floor.c into <paramref name="directory"/>; returns the executable.</summary>
    private static string BuildFloor(string directory)
    {
        string source = Path.Combine(FindRepositoryRoot() ?? throw new InvalidOperationException("the repository (tests/Bench/Floor/coap-floor.c) is not above the working directory"), "tests", "Bench", "Floor", "coap-floor.c");
        string executable = Path.Combine(directory, "coap-floor");
        using var compiler = Process.Start(new ProcessStartInfo("cc", ["-O2", "-o", executable, source]) { UseShellExecute = false, RedirectStandardError = true })
            ?? throw new InvalidOperationException("cannot start cc");
        string errors = compiler.StandardError.ReadToEnd();
        compiler.WaitForExit();
        if (compiler.ExitCode != 0) throw new InvalidOperationException($"cc could not build {source}:\n{errors}");
        return executable;
    }

    /// <summary>How to run the gateway: <c>dotnet coap-gateway.dll …</c> (JIT) or the NativeAOT executable itself.</summary>
    private static (string FileName, string[] Prefix) GatewayCommand(string gateway, CoapBenchOptions options) =>
        options.GatewayBinary is null ? ("dotnet", [gateway]) : (gateway, []);

    /// <summary>
    /// Finds (or builds) coap-gateway.dll. A missing dll is built; a dll older than its sources is
    /// only reported, since other people may be mid-edit in the same tree.
    /// </summary>
    private static string? LocateGateway(CoapBenchOptions options)
    {
        if (options.GatewayBinary is { } binary)
        {
            if (File.Exists(binary)) return Path.GetFullPath(binary);
            Console.Error.WriteLine($"coap bench: --gateway-binary {binary} does not exist");
            return null;
        }
        if (options.GatewayDll is { } given)
        {
            if (File.Exists(given)) return Path.GetFullPath(given);
            Console.Error.WriteLine($"coap bench: --gateway-dll {given} does not exist");
            return null;
        }
        string? root = FindRepositoryRoot();
        if (root is null)
        {
            Console.Error.WriteLine("coap bench: cannot find Gateway.sln above the current directory; run from the repository or pass --gateway-dll");
            return null;
        }
        string dll = Path.Combine(root, GatewayDllRelative);
        if (options.Build || !File.Exists(dll))
        {
            Console.WriteLine($"building the gateway: dotnet build -c Release {Path.Combine(root, "gateway/Gateway.Host")}");
            var build = Process.Start(new ProcessStartInfo("dotnet", ["build", "-c", "Release", "-nologo", "-v", "q", Path.Combine(root, "gateway/Gateway.Host")]) { UseShellExecute = false })!;
            build.WaitForExit();
            if (build.ExitCode != 0 || !File.Exists(dll))
            {
                Console.Error.WriteLine($"coap bench: building the gateway failed (exit {build.ExitCode}); expected {dll}");
                return null;
            }
        }
        var built = File.GetLastWriteTimeUtc(dll);
        var newer = new[] { "gateway/Gateway.Coap", "gateway/Gateway.Host" }
            .SelectMany(d => Directory.EnumerateFiles(Path.Combine(root, d), "*.cs", SearchOption.AllDirectories))
            .Where(f => !f.Contains("/obj/", StringComparison.Ordinal) && !f.Contains("/bin/", StringComparison.Ordinal))
            .Where(f => File.GetLastWriteTimeUtc(f) > built)
            .ToList();
        if (newer.Count > 0)
            Console.WriteLine($"warning: {dll} is older than {newer.Count} source file(s) (e.g. {Path.GetRelativePath(root, newer[0])}); pass --build to rebuild it first");
        return dll;
    }

    private const string BenchToken = "BENCH_TOKEN_0123456789";

    private static void AddBenchDevice((string FileName, string[] Prefix) gateway, string dataDir)
    {
        var add = Process.Start(new ProcessStartInfo(gateway.FileName, [.. gateway.Prefix, "devices", "add", "bench-sensor", "--token", BenchToken, $"--data-dir={dataDir}"])
            { UseShellExecute = false, RedirectStandardOutput = true })!;
        add.StandardOutput.ReadToEnd();
        add.WaitForExit();
        if (add.ExitCode != 0) throw new InvalidOperationException($"coap-gateway devices add failed (exit {add.ExitCode})");
    }

    /// <summary>The checkout (the directory holding Gateway.sln) above the working or the bench's directory.</summary>
    internal static string? FindRepositoryRoot()
    {
        foreach (var start in new[] { Environment.CurrentDirectory, AppContext.BaseDirectory })
        {
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
                if (File.Exists(Path.Combine(dir.FullName, "Gateway.sln"))) return dir.FullName;
        }
        return null;
    }

    private static string? FindOnPath(string program) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Select(dir => Path.Combine(dir, program))
            .FirstOrDefault(File.Exists);

    /// <summary>A free loopback UDP port: bind to port 0 and release it (the server binds it moments later).</summary>
    internal static int FreePort()
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return ((IPEndPoint)socket.LocalEndPoint!).Port;
    }

    /// <summary>
    /// A fresh loopback source address (127.2.x.y) per point. The gateway deduplicates by (peer, MID)
    /// for 247 s; if a later point's socket got a port an earlier one used, its MIDs could hit old
    /// entries and be answered from the cache with the wrong token. A new address rules that out.
    /// </summary>
    private static IPAddress NextSource()
    {
        int k = _sourceCounter++;
        return new IPAddress([127, 2, (byte)(k / 250), (byte)(1 + k % 250)]);
    }
}
