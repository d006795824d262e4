namespace Gateway.Mqtt.Tests;

/// <summary>"10 0F 00 04" → bytes; whitespace ignored, so frames can be laid out field by field.</summary>
internal static class Hex
{
    public static byte[] Parse(string hex) => Convert.FromHexString(string.Concat(hex.Where(c => !char.IsWhiteSpace(c))));

    public static string Format(ReadOnlySpan<byte> bytes) => Convert.ToHexString(bytes);
}
