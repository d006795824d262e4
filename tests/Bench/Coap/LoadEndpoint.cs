using System.Net.Sockets;

namespace Gateway.Bench.Coap;

/// <summary>
/// One client UDP socket (one CoAP endpoint as the server sees it) with its own Message ID
/// sequence. <see cref="Used"/> counts fresh MIDs so the worker can retire the socket before it
/// would reuse one: the server deduplicates by (peer, MID) for EXCHANGE_LIFETIME (247 s).
/// </summary>
internal sealed class LoadEndpoint(int id, int slot, Socket socket, ushort firstMid)
{
    public int Id { get; } = id;
    public int Slot { get; } = slot;
    public Socket Socket { get; } = socket;
    public int Fd { get; } = (int)socket.Handle;
    public ushort NextMid = firstMid;
    public int Used;
}
