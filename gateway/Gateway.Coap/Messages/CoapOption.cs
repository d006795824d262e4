
namespace Gateway.Coap.Messages;

/// <summary>One option instance: number and raw value bytes (RFC 7252 §3.1).</summary>
public readonly struct CoapOption(ushort number, ReadOnlyMemory<byte> value) : IEquatable<CoapOption>
{
    public ushort Number { get; } = number;
    public ReadOnlyMemory<byte> Value { get; } = value;

    public static CoapOption FromString(ushort number, string value) => new(number, System.Text.Encoding.UTF8.GetBytes(value));

    /// <summary>§3.2 uint: network byte order, leading zero bytes never sent (0 is the empty value).</summary>
    public static CoapOption FromUInt(ushort number, uint value) => new(number, EncodeUInt(value));

    public static CoapOption Empty(ushort number) => new(number, ReadOnlyMemory<byte>.Empty);

    public string GetString() => System.Text.Encoding.UTF8.GetString(Value.Span);

    /// <summary>Reads a §3.2 uint; a value longer than 4 bytes yields false (callers treat it as malformed).</summary>
    public bool TryGetUInt(out uint value) => TryDecodeUInt(Value.Span, out value);

    public static byte[] EncodeUInt(uint value)
    {
        int length = UIntLength(value);
        var bytes = new byte[length];
        WriteUInt(value, bytes);
        return bytes;
    }

    public static int UIntLength(uint value) => value == 0 ? 0 : value < 0x100 ? 1 : value < 0x10000 ? 2 : value < 0x1000000 ? 3 : 4;

    public static int WriteUInt(uint value, Span<byte> destination)
    {
        int length = UIntLength(value);
        for (int i = length - 1; i >= 0; i--, value >>= 8) destination[i] = (byte)value;
        return length;
    }

    public static bool TryDecodeUInt(ReadOnlySpan<byte> bytes, out uint value)
    {
        value = 0;
        if (bytes.Length > 4) return false;
        // Leading zeros are tolerated on receipt (§3.2 only forbids sending them).
        foreach (byte b in bytes) value = (value << 8) | b;
        return true;
    }

    public bool Equals(CoapOption other) => Number == other.Number && Value.Span.SequenceEqual(other.Value.Span);
    public override bool Equals(object? obj) => obj is CoapOption o && Equals(o);
    public override int GetHashCode() => HashCode.Combine(Number, Value.Length);
    public static bool operator ==(CoapOption left, CoapOption right) => left.Equals(right);
    public static bool operator !=(CoapOption left, CoapOption right) => !left.Equals(right);

    public override string ToString() => $"{CoapOptionNumber.Name(Number)}={Convert.ToHexString(Value.Span)}";
}
