using System.Buffers;
using System.Diagnostics.CodeAnalysis;
using Gateway.Mqtt.Packets;

namespace Gateway.Mqtt.Protocol;

/// <summary>
/// Frames and decodes MQTT packets from a byte sequence, Kestrel style: <c>false</c> means "need
/// more bytes" and leaves <paramref name="buffer"/> untouched; a complete packet is decoded and
/// sliced off; a malformed one throws <see cref="MqttProtocolException"/> and consumes nothing.
/// Works on any segmentation of the input, so a <c>PipeReader</c> loop needs no extra buffering.
/// </summary>
public static class MqttPacketReader
{
    public static bool TryRead(ref ReadOnlySequence<byte> buffer, MqttProtocolVersion version, [NotNullWhen(true)] out MqttPacket? packet) =>
        TryRead(ref buffer, version, maximumPacketSize: 0, out packet);

    /// <param name="maximumPacketSize">
    /// Largest whole packet accepted, 0 for no limit beyond the protocol's; a larger one throws
    /// before its body has arrived (MQTT 5.0 §3.1.2.11.4, the client's Maximum Packet Size).
    /// </param>
    public static bool TryRead(ref ReadOnlySequence<byte> buffer, MqttProtocolVersion version, int maximumPacketSize,
        [NotNullWhen(true)] out MqttPacket? packet)
    {
        packet = null;
        if (buffer.IsEmpty) return false;
        Span<byte> head = stackalloc byte[5];
        int headLength = (int)Math.Min(5, buffer.Length);
        buffer.Slice(0, headLength).CopyTo(head);
        head = head[..headLength];

        var type = (MqttPacketType)(head[0] >> 4);
        byte flags = (byte)(head[0] & 0x0F);
        CheckFixedHeader(type, flags);

        var status = MqttVariableByteInteger.TryRead(head[1..], out uint remaining, out int lengthBytes, out string? error);
        if (status == MqttVariableByteInteger.Status.NeedMore) return false;
        if (status == MqttVariableByteInteger.Status.Malformed) throw new MqttProtocolException("remaining length: " + error);

        long total = 1 + lengthBytes + (long)remaining;
        if (maximumPacketSize > 0 && total > maximumPacketSize)
            throw new MqttProtocolException($"{type} of {total} bytes exceeds the maximum packet size {maximumPacketSize} (MQTT 5.0 §3.1.2.11.4)",
                MqttReasonCode.PacketTooLarge);
        if (buffer.Length < total) return false;

        var body = buffer.Slice(1 + lengthBytes, remaining);
        if (body.IsSingleSegment)
        {
            packet = MqttPacketDecoder.Decode(type, flags, body.FirstSpan, version);
        }
        else
        {
            // A packet split across segments is copied once so the decoder works on one span.
            byte[] rented = ArrayPool<byte>.Shared.Rent((int)remaining);
            try
            {
                body.CopyTo(rented);
                packet = MqttPacketDecoder.Decode(type, flags, rented.AsSpan(0, (int)remaining), version);
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(rented);
            }
        }
        buffer = buffer.Slice(total);
        return true;
    }

    // MQTT 5.0 §2.1.2–§2.1.3 / 3.1.1 §2.2.1–§2.2.2: type 0 is reserved; the flag nibble is fixed for
    // every type except PUBLISH ("Where a flag bit is marked as Reserved ... MUST be set to the value listed").
    private static void CheckFixedHeader(MqttPacketType type, byte flags)
    {
        if (type == 0) throw new MqttProtocolException("packet type 0 is reserved (MQTT 5.0 §2.1.2)");
        byte expected = type switch
        {
            MqttPacketType.Publish => flags,
            MqttPacketType.PubRel or MqttPacketType.Subscribe or MqttPacketType.Unsubscribe => 0x02,
            _ => 0x00,
        };
        if (flags != expected)
            throw new MqttProtocolException($"{type} fixed header flags 0x{flags:X} must be 0x{expected:X} (MQTT 5.0 §2.1.3, 3.1.1 §2.2.2)");
    }
}
