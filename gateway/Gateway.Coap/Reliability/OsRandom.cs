using System.Buffers.Binary;

namespace Gateway.Coap.Reliability;

/// <summary>
/// Random start values for message IDs and tokens, drawn without OpenSSL. On Linux
/// <c>RandomNumberGenerator</c> goes through libcrypto, which an idle gateway would otherwise map
/// (3.4 MiB resident) only for these two draws per endpoint. <see cref="Guid.NewGuid"/> is filled
/// by the operating system's CSPRNG on every platform since .NET 6 (122 random bits,
/// dotnet/runtime#42752); its version and variant bits (bytes 7 and 8) are not used here.
/// </summary>
internal static class OsRandom
{
    /// <summary>32 random bits.</summary>
    public static uint NextUInt32()
    {
        Span<byte> bytes = stackalloc byte[16];
        Guid.NewGuid().TryWriteBytes(bytes);
        return BinaryPrimitives.ReadUInt32LittleEndian(bytes);
    }
}
