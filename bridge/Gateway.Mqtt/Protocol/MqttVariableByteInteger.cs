namespace Gateway.Mqtt.Protocol;

/// <summary>
/// Variable Byte Integer (MQTT 5.0 §1.5.5; 3.1.1 §2.2.3 "Remaining Length"): 7 bits per byte, low
/// group first, high bit = "more follows", at most 4 bytes, so the largest value is 268,435,455.
/// </summary>
internal static class MqttVariableByteInteger
{
    public const uint MaxValue = 268_435_455;

    public enum Status { Done, NeedMore, Malformed }

    /// <summary>Decodes from the start of <paramref name="source"/> without consuming anything on failure.</summary>
    public static Status TryRead(ReadOnlySpan<byte> source, out uint value, out int consumed, out string? error)
    {
        value = 0;
        consumed = 0;
        error = null;
        for (int i = 0; i < 4; i++)
        {
            if (i >= source.Length) return Status.NeedMore;
            byte b = source[i];
            value |= (uint)(b & 0x7F) << (7 * i);
            if ((b & 0x80) == 0)
            {
                // MQTT 5.0 §1.5.5: "The encoded value MUST use the minimum number of bytes necessary";
                // a trailing 0x00 group (e.g. 0x80 0x00) is a longer form of a smaller number.
                if (i > 0 && b == 0)
                {
                    error = "variable byte integer is not minimally encoded (MQTT 5.0 §1.5.5)";
                    return Status.Malformed;
                }
                consumed = i + 1;
                return Status.Done;
            }
        }
        // A fifth byte would be needed: MQTT 5.0 §1.5.5 / 3.1.1 §2.2.3 allow at most four.
        error = "variable byte integer longer than 4 bytes (MQTT 5.0 §1.5.5, 3.1.1 §2.2.3)";
        return Status.Malformed;
    }

    public static int GetByteCount(uint value) => value switch
    {
        < 128 => 1,
        < 16_384 => 2,
        < 2_097_152 => 3,
        <= MaxValue => 4,
        _ => throw new ArgumentOutOfRangeException(nameof(value), value, "larger than 268,435,455 (MQTT 5.0 §1.5.5)"),
    };

    public static int Write(Span<byte> destination, uint value)
    {
        int count = GetByteCount(value);
        for (int i = 0; i < count; i++)
        {
            byte b = (byte)(value & 0x7F);
            value >>= 7;
            if (value > 0) b |= 0x80;
            destination[i] = b;
        }
        return count;
    }
}
