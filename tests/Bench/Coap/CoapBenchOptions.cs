using System.Globalization;

namespace Gateway.Bench.Coap;

/// <summary>Command line of <c>Bench coap</c>; <see cref="Usage"/> is the --help text.</summary>
internal sealed class CoapBenchOptions
{
    public const string Usage = """
        usage: dotnet run -c Release --project tests/Bench -- coap [options]

        Closed-loop CoAP load (N confirmable GETs outstanding) against libcoap's coap-server-notls
        and our coap-gateway, both started here on free loopback ports, in alternating points;
        prints medians per (N, server) and the gateway/libcoap ratios. Each point starts both
        servers afresh: libcoap answers about a third slower once it holds the sessions of
        earlier runs, so the ratios are against a fresh libcoap, and 'libcoap-warm' (the same
        point run again in that libcoap process) is printed beside it.

          --n LIST            load points (default 1,1x64,16,256); 1x64 is 1 request rotating over
                              64 sockets, N alone means N sockets with one request each
          --duration S        measured seconds per point (default 5)
          --warmup S          unmeasured load before each point (default 1)
          --rounds R          interleaved rounds; the table shows medians (default 3)
          --server-warmup S   load on each freshly started gateway before its point, at N = 16 from
                              other sockets (default 3; JIT tiering); libcoap gets none
          --threads T         generator threads (default 1; they share 2 cores with the server)
          --gateway-only      skip libcoap (no ratios)
          --floor             also measure tests/Bench/Floor/coap-floor.c (built here with cc): one thread
                              answering every request at once with recvmmsg/sendmmsg and no state, the
                              least any server can cost on this machine's socket API
          --floor-poll US     the floor polls for up to US µs before it sleeps, by the gateway's rule
                              (default: the gateway's Coap:BusyPollMicroseconds default; 0 = it sleeps)
          --gateway-dll PATH  coap-gateway.dll to run (default: gateway/Gateway.Host/bin/Release/net10.0)
          --gateway-binary PATH  the NativeAOT executable to run instead of the dll (what users run:
                              dotnet publish gateway/Gateway.Host -c Release -r linux-x64 -p:PublishAot=true -o DIR)
          --gateway-arg A     an extra argument for the gateway, e.g. --gateway-arg --Coap:SocketBatch=1 (repeatable)
          --baseline-dll PATH a second gateway ('baseline') measured in every point beside the first, for A/B runs (GETs)
          --baseline-arg A    an extra argument for the baseline (repeatable; without --baseline-dll it runs the same gateway)
          --keep-servers      start each server once and keep it for every point (the old method)
          --no-libcoap-warm   skip the second, warmed libcoap run of each point
          --build             run `dotnet build -c Release gateway/Gateway.Host` first (done anyway if the dll is missing)
          --gateway-path P    resource GETted on the gateway (default /.well-known/core)
          --libcoap-path P    resource GETted on libcoap (default /)
          --quiet-wait S      before each point wait up to S s for the machine to be < 15 % busy (default 15; 0 = off)
          --telemetry         durable writes instead of GETs (performance.md G4-G6): the gateway gets
                              POST /api/v1/<token>/telemetry {"temperature":21.5} (a device added to a
                              fresh data directory; every 2.01 is a committed row), libcoap PUT /example_data
          --help
        """;

    public List<LoadPoint> Points { get; } = [];
    public TimeSpan Duration { get; private set; } = TimeSpan.FromSeconds(5);
    public TimeSpan Warmup { get; private set; } = TimeSpan.FromSeconds(1);
    public TimeSpan ServerWarmup { get; private set; } = TimeSpan.FromSeconds(3);
    public TimeSpan QuietWait { get; private set; } = TimeSpan.FromSeconds(15);
    public int Rounds { get; private set; } = 3;
    public int Threads { get; private set; } = 1;
    public bool GatewayOnly { get; private set; }
    public bool Telemetry { get; private set; }
    public bool Floor { get; private set; }
    public int FloorPollMicroseconds { get; private set; } = (int)Gateway.Coap.Transport.UdpDatagramTransport.DefaultBusyPoll.TotalMicroseconds;
    public bool Build { get; private set; }
    public bool FreshServers { get; private set; } = true;
    public bool LibcoapWarm { get; private set; } = true;
    public string? GatewayBinary { get; private set; }
    public List<string> GatewayArguments { get; } = [];
    public string? BaselineDll { get; private set; }
    public List<string> BaselineArguments { get; } = [];
    public bool Baseline => BaselineDll is not null || BaselineArguments.Count > 0;
    public bool Help { get; private set; }
    public string? GatewayDll { get; private set; }
    public string GatewayPath { get; private set; } = "/.well-known/core";
    public string LibcoapPath { get; private set; } = "/";

    /// <summary>Parses the arguments; on error returns null and sets <paramref name="error"/> to one line.</summary>
    public static CoapBenchOptions? Parse(string[] args, out string? error)
    {
        var options = new CoapBenchOptions();
        error = null;
        string pointList = "1,1x64,16,256";
        for (int i = 0; i < args.Length; i++)
        {
            string name = args[i];
            string Value()
            {
                if (i + 1 >= args.Length) throw new FormatException($"{name} needs a value");
                return args[++i];
            }
            TimeSpan Seconds(double min)
            {
                string text = Value();
                if (!double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double s) || s < min || s > 3600)
                    throw new FormatException($"{name}: '{text}' is not a number of seconds ≥ {min}");
                return TimeSpan.FromSeconds(s);
            }
            int Integer(int min, int max)
            {
                string text = Value();
                if (!int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out int v) || v < min || v > max)
                    throw new FormatException($"{name}: '{text}' is not an integer in {min}..{max}");
                return v;
            }
            try
            {
                switch (name)
                {
                    case "--n": pointList = Value(); break;
                    case "--duration": options.Duration = Seconds(0.1); break;
                    case "--warmup": options.Warmup = Seconds(0); break;
                    case "--server-warmup": options.ServerWarmup = Seconds(0); break;
                    case "--quiet-wait": options.QuietWait = Seconds(0); break;
                    case "--rounds": options.Rounds = Integer(1, 99); break;
                    case "--threads": options.Threads = Integer(1, 64); break;
                    case "--gateway-only": options.GatewayOnly = true; break;
                    case "--telemetry": options.Telemetry = true; break;
                    case "--floor": options.Floor = true; break;
                    case "--floor-poll": options.FloorPollMicroseconds = Integer(0, 10_000); break;
                    case "--build": options.Build = true; break;
                    case "--gateway-dll": options.GatewayDll = Value(); break;
                    case "--gateway-binary": options.GatewayBinary = Value(); break;
                    case "--gateway-arg": options.GatewayArguments.Add(Value()); break;
                    case "--baseline-dll": options.BaselineDll = Value(); break;
                    case "--baseline-arg": options.BaselineArguments.Add(Value()); break;
                    case "--keep-servers": options.FreshServers = false; break;
                    case "--no-libcoap-warm": options.LibcoapWarm = false; break;
                    case "--gateway-path": options.GatewayPath = Value(); break;
                    case "--libcoap-path": options.LibcoapPath = Value(); break;
                    case "--help" or "-h": options.Help = true; break;
                    default: throw new FormatException($"unknown option '{name}' (see --help)");
                }
            }
            catch (FormatException e)
            {
                error = e.Message;
                return null;
            }
        }
        foreach (var text in pointList.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (!LoadPoint.TryParse(text, out var point))
            {
                error = $"--n: '{text}' is not N or NxM (M a multiple of N)";
                return null;
            }
            options.Points.Add(point);
        }
        if (options.Points.Count == 0) error = "--n: no load points";
        return error is null ? options : null;
    }
}
