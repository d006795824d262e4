using System.Net;
using System.Net.Sockets;
using Gateway.Coap.Transport.Linux;

namespace Gateway.Coap.Transport.Dtls;

/// <summary>
/// A receive thread's buffers: the ciphertext and plaintext of the datagram at hand, its sender, and on Linux the
/// socket batch it reads (<c>recvmmsg</c>) and its answers queue in (<c>sendmmsg</c>) until its next read.
/// </summary>
internal sealed class DtlsReceiver(AddressFamily family, DatagramBatch? batch) : IDisposable
{
    private DatagramBatch? _batch = batch;
    private int _next, _count;

    public byte[] Datagram { get; } = new byte[DtlsServerTransport.ReceiveLimit];

    public byte[] Plaintext { get; } = new byte[DtlsServerTransport.ReceiveLimit];

    public SocketAddress From { get; } = new(family);

    /// <summary>The next datagram into <see cref="Datagram"/> and <see cref="From"/>: its length, or -1 once the socket is closed.</summary>
    public int Next(IDatagramTransport socket, IBatchingDatagramTransport? batching, DtlsStatistics statistics)
    {
        if (_batch is null) return socket.Receive(Datagram, From);
        while (_next >= _count)
        {
            _count = batching!.ReceiveBatch(_batch);
            _next = 0;
            if (_count < 0) return -1;
        }
        int index = _next++;
        if (_batch.IsTruncated(index))
        {
            Interlocked.Increment(ref statistics._recordsMalformed); // longer than any record we accept
            return 0;
        }
        var datagram = _batch.Datagram(index);
        datagram.CopyTo(Datagram);
        _batch.CopySender(index, From);
        return datagram.Length;
    }

    public void Dispose()
    {
        _batch?.Dispose();
        _batch = null;
        _count = _next = 0;
    }
}
