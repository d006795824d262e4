using System.Runtime.InteropServices;

namespace Gateway.Coap.Transport.Linux;

/// <summary><c>struct iovec</c>: one buffer of a scatter/gather list.</summary>
[StructLayout(LayoutKind.Sequential)]
internal unsafe struct IoVector
{
    public void* Base;
    public nuint Length;
}
