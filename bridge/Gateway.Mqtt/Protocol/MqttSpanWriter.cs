using System.Buffers.Binary;
using System.Text;

namespace Gateway.Mqtt.Protocol;

/// <summary>
/// Writes MQTT data types into a span, or only counts them. The packet writer runs the same body
/// code twice (measure, then write) so a packet is encoded straight into the output buffer with its
/// remaining length known in advance and without a scratch copy.
/// </summary>
internal ref struct MqttSpanWriter
{
    private readonly Span<byte> _span;
    private readonly bool _measureOnly;

    private MqttSpanWriter(Span<byte> span, bool measureOnly)
    {
        _span = span;
        _measureOnly = measureOnly;
        Position = 0;
    }

    public int Position { readonly get; private set; }

    public static MqttSpanWriter Measuring() => new(default, true);

    public static MqttSpanWriter Into(Span<byte> span) => new(span, false);

    public void WriteByte(byte value)
    {
        if (!_measureOnly) _span[Position] = value;
        Position += 1;
    }

    public void WriteUInt16(ushort value)
    {
        if (!_measureOnly) BinaryPrimitives.WriteUInt16BigEndian(_span[Position..], value);
        Position += 2;
    }

    public void WriteUInt32(uint value)
    {
        if (!_measureOnly) BinaryPrimitives.WriteUInt32BigEndian(_span[Position..], value);
        Position += 4;
    }

    public void WriteVariableByteInteger(uint value)
    {
        Position += _measureOnly
            ? MqttVariableByteInteger.GetByteCount(value)
            : MqttVariableByteInteger.Write(_span[Position..], value);
    }

    /// <summary>UTF-8 string with a two-byte length (MQTT 5.0 §1.5.4): at most 65,535 bytes.</summary>
    public void WriteString(string value)
    {
        int length = Encoding.UTF8.GetByteCount(value);
        if (length > ushort.MaxValue)
            throw new ArgumentException($"string of {length} UTF-8 bytes exceeds 65,535 (MQTT 5.0 §1.5.4)", nameof(value));
        WriteUInt16((ushort)length);
        if (!_measureOnly) Encoding.UTF8.GetBytes(value, _span.Slice(Position, length));
        Position += length;
    }

    /// <summary>Binary Data with a two-byte length (MQTT 5.0 §1.5.6).</summary>
    public void WriteBinary(ReadOnlySpan<byte> value)
    {
        if (value.Length > ushort.MaxValue)
            throw new ArgumentException($"binary data of {value.Length} bytes exceeds 65,535 (MQTT 5.0 §1.5.6)", nameof(value));
        WriteUInt16((ushort)value.Length);
        WriteBytes(value);
    }

    public void WriteBytes(ReadOnlySpan<byte> value)
    {
        if (!_measureOnly) value.CopyTo(_span[Position..]);
        Position += value.Length;
    }
}
