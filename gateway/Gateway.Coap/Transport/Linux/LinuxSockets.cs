using System.Runtime.InteropServices;

namespace Gateway.Coap.Transport.Linux;

/// <summary>The batched socket calls of Linux (since 2.6.33 / 3.0), through source-generated, AOT-safe imports.</summary>
internal static unsafe partial class LinuxSockets
{
    /// <summary>recvmmsg: block for the first datagram only, then take what is already queued (recvmmsg(2)).</summary>
    public const int MsgWaitForOne = 0x10000;

    /// <summary>recvmmsg: take what is queued and return EAGAIN rather than block (recv(2)).</summary>
    public const int MsgDontWait = 0x40;

    /// <summary>msg_flags: the datagram was longer than the buffer and was cut (recvmsg(2)).</summary>
    public const int MsgTrunc = 0x20;

    public const int Eintr = 4, Ebadf = 9, Eagain = 11, Enotsock = 88, Enetunreach = 101, Econnrefused = 111, Ehostunreach = 113;

    [LibraryImport("libc", EntryPoint = "recvmmsg", SetLastError = true)]
    public static partial int ReceiveMessages(int socket, MultiMessageHeader* messages, uint count, int flags, void* timeout);

    [LibraryImport("libc", EntryPoint = "sendmmsg", SetLastError = true)]
    public static partial int SendMessages(int socket, MultiMessageHeader* messages, uint count, int flags);
}
