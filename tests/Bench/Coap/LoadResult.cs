namespace Gateway.Bench.Coap;

/// <summary>What one measured point produced, against one server in one round.</summary>
internal sealed record LoadResult(
    string Server,
    LoadPoint Point,
    int Round,
    double Seconds,
    long Responses,
    long P50Micros,
    long P99Micros,
    double ServerCpuMicrosPerResponse,
    string CpuSource,
    double GeneratorCpuMicrosPerResponse,
    long Retransmissions,
    long Failures,
    long Resets,
    long Stale,
    long NonSuccess,
    long SocketErrors,
    long Separate,
    byte LastCode,
    double BusyBeforePercent)
{
    public double ResponsesPerSecond => Responses / Seconds;
}
