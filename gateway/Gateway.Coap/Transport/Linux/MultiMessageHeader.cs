using System.Runtime.InteropServices;

namespace Gateway.Coap.Transport.Linux;

/// <summary>
/// <c>struct mmsghdr</c> (recvmmsg(2), sendmmsg(2)): a <c>struct msghdr</c> and the byte count the kernel fills in. The
/// header is nested, not flattened: the count follows the header's trailing padding (offset 56 on LP64).
/// </summary>
[StructLayout(LayoutKind.Sequential)]
internal struct MultiMessageHeader
{
    public MessageHeader Header;
    public uint Length;
}
