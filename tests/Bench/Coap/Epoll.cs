using System.Runtime.InteropServices;

namespace Gateway.Bench.Coap;

/// <summary>
/// A minimal epoll binding. The generator needs to wait on up to hundreds of blocking sockets from
/// one thread: <see cref="System.Net.Sockets.Socket.Select"/> allocates and rescans lists per call,
/// and a thread per endpoint would not fit 256 endpoints on two cores. The sockets stay blocking;
/// epoll only says which one has a datagram, so each <c>ReceiveFrom</c> returns at once.
/// </summary>
internal sealed class Epoll : IDisposable
{
    private const int EpollCloexec = 0x80000;
    private const int CtlAdd = 1;
    private const int CtlDel = 2;
    private const uint EpollIn = 1;
    private const int Eintr = 4;

    // struct epoll_event is packed on x86/x86-64 (12 bytes, data at 4) and naturally aligned
    // elsewhere, e.g. arm64 (16 bytes, data at 8): the appliance may run the bench on a Pi.
    private static readonly bool Packed = RuntimeInformation.ProcessArchitecture is Architecture.X64 or Architecture.X86;
    private static readonly int EventSize = Packed ? 12 : 16;
    private static readonly int DataOffset = Packed ? 4 : 8;

    private readonly int _fd;
    private readonly byte[] _control = new byte[16];
    private readonly byte[] _events;
    private readonly int _capacity;

    public Epoll(int capacity)
    {
        _fd = epoll_create1(EpollCloexec);
        if (_fd < 0) throw new InvalidOperationException($"epoll_create1 failed, errno {Marshal.GetLastPInvokeError()}");
        _capacity = capacity;
        _events = new byte[capacity * EventSize];
    }

    public void Add(int fd, int data) => Control(CtlAdd, fd, data);

    public void Remove(int fd) => Control(CtlDel, fd, 0);

    /// <summary>Waits for readable sockets; returns how many events <see cref="DataAt"/> can read (0 on timeout).</summary>
    public int Wait(int timeoutMs)
    {
        int n = epoll_wait(_fd, _events, _capacity, timeoutMs);
        if (n >= 0) return n;
        int errno = Marshal.GetLastPInvokeError();
        if (errno == Eintr) return 0; // a signal (e.g. the runtime's own) interrupted the wait: just loop
        throw new InvalidOperationException($"epoll_wait failed, errno {errno}");
    }

    public int DataAt(int index) => MemoryMarshal.Read<int>(_events.AsSpan(index * EventSize + DataOffset));

    private void Control(int op, int fd, int data)
    {
        _control.AsSpan().Clear();
        uint events = EpollIn;
        MemoryMarshal.Write(_control.AsSpan(0, 4), in events);
        MemoryMarshal.Write(_control.AsSpan(DataOffset, 4), in data);
        if (epoll_ctl(_fd, op, fd, _control) != 0)
            throw new InvalidOperationException($"epoll_ctl({op}) failed, errno {Marshal.GetLastPInvokeError()}");
    }

    public void Dispose() => _ = close(_fd);

    [DllImport("libc", SetLastError = true)]
    private static extern int epoll_create1(int flags);

    [DllImport("libc", SetLastError = true)]
    private static extern int epoll_ctl(int epfd, int op, int fd, byte[] ev);

    [DllImport("libc", SetLastError = true)]
    private static extern int epoll_wait(int epfd, byte[] events, int maxevents, int timeout);

    [DllImport("libc", SetLastError = true)]
    private static extern int close(int fd);
}
