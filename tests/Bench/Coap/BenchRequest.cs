using Gateway.Coap.Messages;

namespace Gateway.Bench.Coap;

/// <summary>What every request of a load point is, apart from its path: method, body and its Content-Format.</summary>
internal sealed record BenchRequest(CoapCode Method, byte[] Payload, int? ContentFormat)
{
    public static readonly BenchRequest Get = new(CoapCode.Get, [], null);

    /// <summary>One small telemetry record, as a sensor would send it (JSON, Content-Format 50).</summary>
    public static BenchRequest Write(CoapCode method) => new(method, "{\"temperature\":21.5}"u8.ToArray(), 50);
}
