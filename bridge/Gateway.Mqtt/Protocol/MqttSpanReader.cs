using System.Buffers.Binary;
using System.Text;
using System.Text.Unicode;

namespace Gateway.Mqtt.Protocol;

/// <summary>
/// Reads MQTT data types (MQTT 5.0 §1.5, 3.1.1 §1.5) from one packet body whose length is already
/// known from the fixed header, so running out of bytes here means the packet is malformed, not
/// that more bytes are needed.
/// </summary>
internal ref struct MqttSpanReader(ReadOnlySpan<byte> span)
{
    private readonly ReadOnlySpan<byte> _span = span;
    private int _position;

    public readonly int Remaining => _span.Length - _position;

    public byte ReadByte()
    {
        Need(1, "byte");
        return _span[_position++];
    }

    /// <summary>Two Byte Integer, big-endian (§1.5.2).</summary>
    public ushort ReadUInt16()
    {
        Need(2, "two byte integer");
        ushort value = BinaryPrimitives.ReadUInt16BigEndian(_span[_position..]);
        _position += 2;
        return value;
    }

    /// <summary>Four Byte Integer, big-endian (MQTT 5.0 §1.5.3).</summary>
    public uint ReadUInt32()
    {
        Need(4, "four byte integer");
        uint value = BinaryPrimitives.ReadUInt32BigEndian(_span[_position..]);
        _position += 4;
        return value;
    }

    public uint ReadVariableByteInteger()
    {
        var status = MqttVariableByteInteger.TryRead(_span[_position..], out uint value, out int consumed, out string? error);
        if (status == MqttVariableByteInteger.Status.NeedMore)
            throw new MqttProtocolException("packet ends inside a variable byte integer");
        if (status == MqttVariableByteInteger.Status.Malformed) throw new MqttProtocolException(error!);
        _position += consumed;
        return value;
    }

    /// <summary>
    /// UTF-8 Encoded String (MQTT 5.0 §1.5.4, 3.1.1 §1.5.3): two-byte length, then well-formed UTF-8
    /// without surrogate code points and without U+0000; anything else is malformed.
    /// </summary>
    public string ReadString()
    {
        int length = ReadUInt16();
        Need(length, "UTF-8 string");
        var bytes = _span.Slice(_position, length);
        if (!Utf8.IsValid(bytes))
            throw new MqttProtocolException("UTF-8 string is not well-formed (MQTT 5.0 §1.5.4, 3.1.1 §1.5.3)");
        if (bytes.IndexOf((byte)0) >= 0)
            throw new MqttProtocolException("UTF-8 string contains U+0000 (MQTT 5.0 §1.5.4, 3.1.1 §1.5.3)");
        _position += length;
        return Encoding.UTF8.GetString(bytes);
    }

    /// <summary>Binary Data: two-byte length then bytes (MQTT 5.0 §1.5.6; 3.1.1 password §3.1.3.5).</summary>
    public byte[] ReadBinary()
    {
        int length = ReadUInt16();
        return ReadBytes(length).ToArray();
    }

    public ReadOnlySpan<byte> ReadBytes(int count)
    {
        Need(count, "bytes");
        var slice = _span.Slice(_position, count);
        _position += count;
        return slice;
    }

    public ReadOnlySpan<byte> ReadRest() => ReadBytes(Remaining);

    private readonly void Need(int count, string what)
    {
        if (Remaining < count)
            throw new MqttProtocolException($"packet ends inside a {what} ({count} bytes needed, {Remaining} left)");
    }
}
