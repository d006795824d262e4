using System.Buffers;
using System.Net;

namespace Gateway.Coap;

/// <summary>
/// One receive thread's reusable state: the datagram buffer, a send scratch buffer and the
/// sender's address. Nothing here is allocated per datagram; a handler that goes asynchronous
/// takes the datagram buffer with it (<see cref="DetachBuffer"/>) and the thread rents another.
/// </summary>
internal sealed class ReceiveContext(int maxMessageSize, SocketAddress remote)
{
    public byte[] Buffer { get; private set; } = ArrayPool<byte>.Shared.Rent(maxMessageSize);
    public byte[] SendBuffer { get; } = new byte[maxMessageSize];
    public SocketAddress Remote { get; } = remote;

    /// <summary>Hands the current datagram buffer to an asynchronous exchange (which returns it to the pool).</summary>
    public byte[] DetachBuffer()
    {
        var detached = Buffer;
        Buffer = ArrayPool<byte>.Shared.Rent(maxMessageSize);
        return detached;
    }

    public void Release() => ArrayPool<byte>.Shared.Return(Buffer);
}
