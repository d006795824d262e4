// Load generators and benchmarks; run by hand (README "Performance"), never by the tests.
//   dotnet run -c Release --project tests/Bench -- coap [options]
//   dotnet run -c Release --project tests/Bench -- load --target HOST[:PORT] [options]   (your own gateway)
//   dotnet run -c Release --project tests/Bench -- coap-alloc [requests]
//   dotnet run -c Release --project tests/Bench -- coap-alloc --telemetry [--requests N] [--n N]   (bytes per durable POST, whole host in-process)
//   dotnet run -c Release --project tests/Bench -- storage [options]
//   dotnet run -c Release --project tests/Bench -- drain [options]        (backlog drain vs raw QoS 1 publishers, issue #21)
//   dotnet run -c Release --project tests/Bench -- exosite-cbor [--before DLL] [options]
//   dotnet run -c Release --project tests/Bench -- observe-fanout [--observers N] [--sockets S] [--rounds R] [--type con|non|both]
//   dotnet run -c Release --project tests/Bench -- dtls [--seconds S] [--sessions N] [--rounds R]
//   dotnet run -c Release --project tests/Bench -- block2 --path '/fw/TOKEN?title=T&version=V' [options]   (your own gateway)
using Gateway.Bench;

return args.FirstOrDefault() switch
{
    "coap" => await CoapBench.RunAsync(args[1..]),
    "load" => LoadCommand.Run(args[1..]),
    "coap-alloc" when args.Length > 1 && args[1] == "--telemetry" => await DurableAllocationBench.RunAsync(args[2..]),
    "coap-alloc" => await CoapAllocationBench.RunAsync(args[1..]),
    "storage" => await StorageBench.RunAsync(args[1..]),
    "bridge" => await BridgeBench.RunAsync(args[1..]),
    "drain" => await Gateway.Bench.Drain.DrainBench.RunAsync(args[1..]),
    "mqttnet-pub" => await Gateway.Bench.Drain.RawPublishers.MqttNetPublisherMainAsync(args[1..]),
    "packed-store-pub" => await Gateway.Bench.Drain.PackedStorePublisher.MainAsync(args[1..]),
    "exosite-cbor" => ExositeCborBench.Run(args[1..]),
    "dtls" => DtlsBench.Run(args[1..]),
    "observe-fanout" => ObserveFanoutBench.Run(args[1..]),
    "block2" => Block2Bench.Run(args[1..]),
    _ => Usage(),
};

static int Usage()
{
    Console.Error.WriteLine("usage: Bench coap|load|coap-alloc|storage|bridge|drain|exosite-cbor|dtls|observe-fanout|block2 [options]   (each prints its own --help)");
    return 2;
}
