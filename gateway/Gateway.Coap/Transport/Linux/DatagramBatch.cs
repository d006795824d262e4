using System.Net;
using System.Runtime.InteropServices;

namespace Gateway.Coap.Transport.Linux;

/// <summary>
/// One receive thread's preallocated native storage for <c>recvmmsg</c>/<c>sendmmsg</c>: <see cref="Capacity"/> receive
/// slots and as many send slots, each with its datagram buffer, its iovec and room for a <c>sockaddr_in6</c>. Allocated
/// once, outside the GC heap (nothing to pin, nothing collected per datagram); used by one thread at a time, whose
/// <see cref="Poll"/> it also holds.
/// </summary>
internal sealed unsafe class DatagramBatch : IDisposable
{
    /// <summary>sizeof(struct sockaddr_in6), the largest address a UDP socket reports.</summary>
    public const int AddressBytes = 28;
    private const int AddressStride = 32;

    private readonly MultiMessageHeader* _received, _sending;
    private readonly IoVector* _receiveVectors, _sendVectors;
    private readonly byte* _receiveData, _sendData, _receiveNames, _sendNames;
    private int _disposed;

    public DatagramBatch(int capacity, int slotBytes, BusyPoll poll)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(slotBytes, 1);
        Capacity = capacity;
        SlotBytes = slotBytes;
        Poll = poll;
        _received = Allocate<MultiMessageHeader>(capacity);
        _sending = Allocate<MultiMessageHeader>(capacity);
        _receiveVectors = Allocate<IoVector>(capacity);
        _sendVectors = Allocate<IoVector>(capacity);
        _receiveData = Allocate<byte>(capacity * slotBytes);
        _sendData = Allocate<byte>(capacity * slotBytes);
        _receiveNames = Allocate<byte>(capacity * AddressStride);
        _sendNames = Allocate<byte>(capacity * AddressStride);
        for (int i = 0; i < capacity; i++)
        {
            _receiveVectors[i] = new IoVector { Base = _receiveData + i * slotBytes, Length = (nuint)slotBytes };
            _received[i].Header.Vectors = &_receiveVectors[i];
            _received[i].Header.VectorCount = 1;
            _received[i].Header.Name = _receiveNames + i * AddressStride;
            _sendVectors[i].Base = _sendData + i * slotBytes;
            _sending[i].Header.Vectors = &_sendVectors[i];
            _sending[i].Header.VectorCount = 1;
            _sending[i].Header.Name = _sendNames + i * AddressStride;
            Reset(i);
        }
    }

    public int Capacity { get; }

    /// <summary>Whether the thread polls for its next datagram (in <see cref="System.Diagnostics.Stopwatch"/> ticks).</summary>
    public BusyPoll Poll { get; }

    /// <summary>The largest datagram a slot holds; a longer one arrives flagged <see cref="IsTruncated"/>.</summary>
    public int SlotBytes { get; }

    /// <summary>Datagrams the last receive delivered.</summary>
    public int Count { get; private set; }

    /// <summary>Datagrams queued for the next send.</summary>
    public int Queued { get; private set; }

    public ReadOnlySpan<byte> Datagram(int index)
    {
        var header = &_received[Checked(index)];
        return new ReadOnlySpan<byte>(header->Header.Vectors->Base, (int)Math.Min(header->Length, (uint)SlotBytes));
    }

    /// <summary>The datagram did not fit its slot (MSG_TRUNC): what <see cref="Datagram"/> holds is only its start.</summary>
    public bool IsTruncated(int index) => (_received[Checked(index)].Header.Flags & LinuxSockets.MsgTrunc) != 0;

    /// <summary>Copies the sender of a received datagram (the kernel's sockaddr, the form <see cref="SocketAddress.Buffer"/> holds on Linux).</summary>
    public void CopySender(int index, SocketAddress to)
    {
        var header = &_received[Checked(index)];
        int length = (int)Math.Min(header->Header.NameLength, (uint)Math.Min(AddressBytes, to.Buffer.Length));
        new ReadOnlySpan<byte>(header->Header.Name, length).CopyTo(to.Buffer.Span);
        to.Size = length;
    }

    /// <summary>
    /// One <c>recvmmsg</c>: blocks until a datagram is there (or, unless <paramref name="wait"/>, returns EAGAIN at once),
    /// then takes up to <see cref="Capacity"/> already queued.
    /// </summary>
    /// <returns>the count, or -1 with the error in <paramref name="errno"/>.</returns>
    public int Receive(int socket, bool wait, out int errno)
    {
        // The kernel overwrites name length and flags of the messages it filled; restore those.
        for (int i = 0; i < Count; i++) Reset(i);
        int count = LinuxSockets.ReceiveMessages(socket, _received, (uint)Capacity, wait ? LinuxSockets.MsgWaitForOne : LinuxSockets.MsgDontWait, null);
        errno = count < 0 ? Marshal.GetLastPInvokeError() : 0;
        Count = Math.Max(count, 0);
        return count;
    }

    private void Reset(int i)
    {
        _received[i].Header.NameLength = AddressBytes;
        _received[i].Header.Flags = 0;
        _received[i].Length = 0;
    }

    /// <summary>Queues a datagram for the next <see cref="Send"/>; false when the batch is full or the datagram exceeds a slot.</summary>
    public bool TryQueue(ReadOnlySpan<byte> datagram, SocketAddress to)
    {
        if (Queued == Capacity || datagram.Length > SlotBytes || to.Size > AddressBytes) return false;
        int i = Queued++;
        datagram.CopyTo(new Span<byte>(_sendVectors[i].Base, SlotBytes));
        _sendVectors[i].Length = (nuint)datagram.Length;
        to.Buffer.Span[..to.Size].CopyTo(new Span<byte>(_sending[i].Header.Name, AddressBytes));
        _sending[i].Header.NameLength = (uint)to.Size;
        return true;
    }

    /// <summary>
    /// Sends what is queued with as few <c>sendmmsg</c> calls as the kernel allows. A datagram the kernel refuses (an
    /// ICMP error pending from an earlier one, a full send buffer) is skipped: UDP is lossy and CoAP retransmits.
    /// </summary>
    /// <returns>the datagrams sent.</returns>
    public int Send(int socket)
    {
        int queued = Queued, next = 0, sent = 0;
        Queued = 0;
        while (next < queued)
        {
            int count = LinuxSockets.SendMessages(socket, _sending + next, (uint)(queued - next), 0);
            if (count > 0) { next += count; sent += count; continue; }
            int errno = Marshal.GetLastPInvokeError();
            if (errno == LinuxSockets.Eintr) continue;
            if (errno is LinuxSockets.Ebadf or LinuxSockets.Enotsock) break; // closed under us
            next++;
        }
        return sent;
    }

    private int Checked(int index) => (uint)index < (uint)Count ? index : throw new ArgumentOutOfRangeException(nameof(index));

    private static T* Allocate<T>(int count) where T : unmanaged => (T*)NativeMemory.AllocZeroed((nuint)count, (nuint)sizeof(T));

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        foreach (var block in new void*[] { _received, _sending, _receiveVectors, _sendVectors, _receiveData, _sendData, _receiveNames, _sendNames })
            NativeMemory.Free(block);
    }
}
