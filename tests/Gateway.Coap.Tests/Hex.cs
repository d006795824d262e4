namespace Gateway.Coap.Tests;

internal static class Hex
{
    /// <summary>Hex with optional spaces, e.g. "40 01 7d34".</summary>
    public static byte[] Bytes(string hex) => Convert.FromHexString(hex.Replace(" ", "", StringComparison.Ordinal));

    public static string Of(ReadOnlySpan<byte> bytes) => Convert.ToHexString(bytes).ToLowerInvariant();
}
