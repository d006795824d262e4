using System.Runtime.InteropServices;

namespace Gateway.Coap.Transport.Linux;

/// <summary><c>struct msghdr</c> (recvmsg(2)), blittable; natural alignment gives the C padding, trailing padding included.</summary>
[StructLayout(LayoutKind.Sequential)]
internal unsafe struct MessageHeader
{
    public void* Name;
    public uint NameLength;
    public IoVector* Vectors;
    public nuint VectorCount;
    public void* Control;
    public nuint ControlLength;
    public int Flags;
}
