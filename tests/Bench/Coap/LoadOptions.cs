using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace Gateway.Bench.Coap;

/// <summary>Command line of <c>Bench load</c> (a user's own gateway as the target); <see cref="Usage"/> is the --help text.</summary>
internal sealed class LoadOptions
{
    public const string Usage = """
        usage: dotnet run -c Release --project tests/Bench -- load --target HOST[:PORT] [options]

        CoAP load against a running gateway (yours; nothing is started here). IPv4 targets.

          --target HOST[:PORT]  the gateway (port default 5683)
          --scenario S          get (default): confirmable GETs of --path, N outstanding
                                post: confirmable telemetry POSTs of --payload to --path (or to the
                                      device API of --token); every 2.01 is a committed row, so the
                                      backlog grows by one row per response while the broker lags
                                observe: N client endpoints each register one Observe relation on --path
                                      (RFC 7641) and count the notifications the gateway sends
          --n N                 requests outstanding (get, post) or observers (observe); default 16
          --duration S          measured seconds (default 10)
          --warmup S            unmeasured load first (default 1; get and post)
          --threads T           generator threads (default 1)
          --path P              resource (default: /.well-known/core for get, /api/v1/TOKEN/telemetry for
                                post, /api/v1/TOKEN/attributes for observe)
          --token T             a device access token, for the default post and observe paths
          --payload JSON        POST body, Content-Format 50 (default {"temperature":21.5})
          --progress S          seconds between progress lines (default 5; 0 = none)
          --help

        Prints a progress line (responses so far, rate over the last interval, retransmissions) and at the
        end responses/s, p50/p99 latency, retransmissions, failures and non-2.xx answers.
        """;

    public IPEndPoint? Target { get; private set; }
    public string Scenario { get; private set; } = "get";
    public int N { get; private set; } = 16;
    public TimeSpan Duration { get; private set; } = TimeSpan.FromSeconds(10);
    public TimeSpan Warmup { get; private set; } = TimeSpan.FromSeconds(1);
    public TimeSpan Progress { get; private set; } = TimeSpan.FromSeconds(5);
    public int Threads { get; private set; } = 1;
    public string? Token { get; private set; }
    public string? GivenPath { get; private set; }
    public string Payload { get; private set; } = "{\"temperature\":21.5}";
    public bool Help { get; private set; }

    public string Path => GivenPath ?? Scenario switch
    {
        "post" => $"/api/v1/{Token}/telemetry",
        "observe" => $"/api/v1/{Token}/attributes",
        _ => "/.well-known/core",
    };

    /// <summary>Parses the arguments; on error returns null and sets <paramref name="error"/> to one line.</summary>
    public static LoadOptions? Parse(string[] args, out string? error)
    {
        var options = new LoadOptions();
        error = null;
        try
        {
            for (int i = 0; i < args.Length; i++)
            {
                string name = args[i];
                string Value() => i + 1 < args.Length ? args[++i] : throw new FormatException($"{name} needs a value");
                TimeSpan Seconds(double min) =>
                    double.TryParse(Value(), NumberStyles.Float, CultureInfo.InvariantCulture, out double s) && s >= min && s <= 86_400
                        ? TimeSpan.FromSeconds(s) : throw new FormatException($"{name}: '{args[i]}' is not a number of seconds ≥ {min}");
                int Integer(int min, int max) =>
                    int.TryParse(Value(), NumberStyles.Integer, CultureInfo.InvariantCulture, out int v) && v >= min && v <= max
                        ? v : throw new FormatException($"{name}: '{args[i]}' is not an integer in {min}..{max}");
                switch (name)
                {
                    case "--target": options.Target = ParseTarget(Value()); break;
                    case "--scenario":
                        options.Scenario = Value() is "get" or "post" or "observe" ? args[i] : throw new FormatException($"--scenario: '{args[i]}' is not get, post or observe");
                        break;
                    case "--n": options.N = Integer(1, 4096); break;
                    case "--duration": options.Duration = Seconds(0.1); break;
                    case "--warmup": options.Warmup = Seconds(0); break;
                    case "--progress": options.Progress = Seconds(0); break;
                    case "--threads": options.Threads = Integer(1, 64); break;
                    case "--token": options.Token = Value(); break;
                    case "--path": options.GivenPath = Value(); break;
                    case "--payload": options.Payload = Value(); break;
                    case "--help" or "-h": options.Help = true; break;
                    default: throw new FormatException($"unknown option '{name}' (see --help)");
                }
            }
            if (options.Help) return options;
            if (options.Target is null) throw new FormatException("--target HOST[:PORT] is required");
            if (options.GivenPath is null && options.Scenario != "get" && options.Token is null)
                throw new FormatException($"--scenario {options.Scenario} needs --token (a device's access token) or --path");
            return options;
        }
        catch (FormatException e)
        {
            error = e.Message;
            return null;
        }
    }

    private static IPEndPoint ParseTarget(string text)
    {
        int colon = text.LastIndexOf(':');
        string host = colon < 0 ? text : text[..colon];
        int port = 5683;
        if (colon >= 0 && (!int.TryParse(text[(colon + 1)..], NumberStyles.Integer, CultureInfo.InvariantCulture, out port) || port is < 1 or > 65535))
            throw new FormatException($"--target: '{text}' has no valid port");
        var address = IPAddress.TryParse(host, out var parsed) ? parsed
            : Dns.GetHostAddresses(host).FirstOrDefault(a => a.AddressFamily == AddressFamily.InterNetwork)
              ?? throw new FormatException($"--target: '{host}' has no IPv4 address");
        if (address.AddressFamily != AddressFamily.InterNetwork) throw new FormatException($"--target: '{host}' is not IPv4");
        return new IPEndPoint(address, port);
    }
}
