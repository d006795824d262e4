using System.Globalization;

namespace Gateway.Bench.Drain;

/// <summary>Command line of <c>Bench drain</c> (README "Performance", backlog drain).</summary>
internal sealed class DrainOptions
{
    public const string Usage = """
        Bench drain [options]   backlog drain into a fresh mosquitto per measurement, against raw QoS 1 publishers
          --rows N              backlog rows (default 1000000)
          --devices D           devices the rows are spread over, interleaved (default 100)
          --rounds R            rounds; the order of the senders rotates each round (default 1)
          --senders LIST        of pub, pub-packed, mqttnet, mqttnet-packed, gateway (default all, in that order), and
                                packed-store: a prototype of a store holding one row per packed message, the
                                forwarder's chain over it with the gateway's MQTT client (not in the default list)
          --store-depth D       packed-store turns in flight (default 1: one after another, as the forwarder)
          --window W            PUBLISHes awaiting PUBACK for mosquitto_pub (-M) and MQTTnet (default 1000; packed: at most 4 MiB of them)
          --packet BYTES        packet limit for the packed raw messages, as the gateway's Bridge:MaxPacketBytes (default 65536)
          --gateway-dll PATH    a JIT build to run with dotnet (default gateway/Gateway.Host/bin/Release/net10.0/coap-gateway.dll); repeatable
          --gateway-binary PATH an executable instead (the NativeAOT build); repeatable
          --gateway-args "A B"  extra gateway arguments, e.g. "--Bridge:BatchSize=5000"; repeatable: each is a variant of every gateway
          --live-rate R         live telemetry POSTs per second during the drain and the idle baseline (default 200)
          --idle-seconds S      idle baseline after the drain, same process, empty backlog (default 10)
          --dir DIR             where the data directories and message files go (default $TMPDIR)
          --store-floor         also measure, each round, SQLite alone reading and deleting the backlog's rows on a
                                copy of the gateway's data directory: the bound of any drain that keeps one row per reading
          --floor-batch B       rows per turn of the store floor (default 1000, as Bridge:BatchSize)
          --timeline            also print, for each measurement, when each tenth of the rows had arrived
          --broker-nodelay      set_tcp_nodelay true on the broker (mosquitto's default is false: Nagle holds a second
                                PUBACK sent right after a first until the client's delayed ACK, up to 40 ms)
        """;

    public int Rows { get; private set; } = 1_000_000;
    public int Devices { get; private set; } = 100;
    public int Rounds { get; private set; } = 1;
    public List<string> Senders { get; private set; } = ["pub", "pub-packed", "mqttnet", "mqttnet-packed", "gateway"];
    public int Window { get; private set; } = 1000;
    public int Packet { get; private set; } = 65536;
    public List<string> GatewayDlls { get; } = [];
    public List<string> GatewayBinaries { get; } = [];
    public List<string> GatewayArgs { get; } = [];
    public double LiveRate { get; private set; } = 200;
    public int IdleSeconds { get; private set; } = 10;
    public string? Directory { get; private set; }
    public bool BrokerNoDelay { get; private set; }
    public bool Timeline { get; private set; }
    public bool StoreFloor { get; private set; }
    public int FloorBatch { get; private set; } = 1000;
    public int StoreDepth { get; private set; } = 1;

    public static DrainOptions Parse(string[] args)
    {
        var options = new DrainOptions();
        for (int i = 0; i < args.Length; i++)
        {
            string Value() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value");
            int Int() => int.Parse(Value(), CultureInfo.InvariantCulture);
            switch (args[i])
            {
                case "--rows": options.Rows = Int(); break;
                case "--devices": options.Devices = Int(); break;
                case "--rounds": options.Rounds = Int(); break;
                case "--senders": options.Senders = [.. Value().Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)]; break;
                case "--window": options.Window = Int(); break;
                case "--packet": options.Packet = Int(); break;
                case "--gateway-dll": options.GatewayDlls.Add(Value()); break;
                case "--gateway-binary": options.GatewayBinaries.Add(Value()); break;
                case "--gateway-args": options.GatewayArgs.Add(Value()); break;
                case "--live-rate": options.LiveRate = double.Parse(Value(), CultureInfo.InvariantCulture); break;
                case "--idle-seconds": options.IdleSeconds = Int(); break;
                case "--dir": options.Directory = Value(); break;
                case "--broker-nodelay": options.BrokerNoDelay = true; break;
                case "--timeline": options.Timeline = true; break;
                case "--store-floor": options.StoreFloor = true; break;
                case "--floor-batch": options.FloorBatch = Int(); break;
                case "--store-depth": options.StoreDepth = Int(); break;
                default: throw new ArgumentException($"unknown option {args[i]}");
            }
        }
        var unknown = options.Senders.Except(["pub", "pub-packed", "mqttnet", "mqttnet-packed", "gateway", "packed-store"]).ToList();
        if (unknown.Count > 0) throw new ArgumentException($"unknown sender(s): {string.Join(", ", unknown)}");
        if (options.Rows < 1 || options.Devices < 1 || options.Rounds < 1 || options.Window < 1 || options.FloorBatch < 1 || options.StoreDepth < 1 || options.LiveRate <= 0)
            throw new ArgumentException("--rows, --devices, --rounds, --window, --floor-batch, --store-depth and --live-rate must be positive");
        return options;
    }
}
