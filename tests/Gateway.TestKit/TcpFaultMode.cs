namespace Gateway.TestKit;

/// <summary>What <see cref="TcpFaultProxy"/> does with traffic.</summary>
public enum TcpFaultMode
{
    Pass,
    Stall,
    BlackHole,
    Refuse,
}
