using System.Buffers;
using Gateway.Mqtt.Packets;

namespace Gateway.Mqtt.Protocol;

/// <summary>
/// Writes whole MQTT packets (fixed header, remaining length, body) into an
/// <see cref="IBufferWriter{T}"/>, e.g. a <c>PipeWriter</c>, without intermediate buffers.
/// </summary>
public static class MqttPacketWriter
{
    /// <summary>Writes <paramref name="packet"/> and returns the number of bytes written.</summary>
    /// <exception cref="ArgumentException">The packet cannot be encoded (e.g. larger than 268,435,455 bytes, §1.5.5).</exception>
    public static int Write(MqttPacket packet, MqttProtocolVersion version, IBufferWriter<byte> output)
    {
        ArgumentNullException.ThrowIfNull(packet);
        ArgumentNullException.ThrowIfNull(output);
        int bodyLength = MeasureBody(packet, version);
        int total = 1 + MqttVariableByteInteger.GetByteCount((uint)bodyLength) + bodyLength;
        var span = output.GetSpan(total)[..total];
        span[0] = MqttPacketEncoder.FixedHeader(packet);
        int headerLength = 1 + MqttVariableByteInteger.Write(span[1..], (uint)bodyLength);
        var writer = MqttSpanWriter.Into(span[headerLength..]);
        MqttPacketEncoder.WriteBody(ref writer, packet, version);
        output.Advance(total);
        return total;
    }

    /// <summary>
    /// The encoded size of the whole packet, the figure compared with a Maximum Packet Size
    /// (MQTT 5.0 §3.2.2.3.6: "the total number of bytes in an MQTT Control Packet").
    /// </summary>
    public static int GetSize(MqttPacket packet, MqttProtocolVersion version)
    {
        int bodyLength = MeasureBody(packet, version);
        return 1 + MqttVariableByteInteger.GetByteCount((uint)bodyLength) + bodyLength;
    }

    /// <summary>Convenience for tests and small packets.</summary>
    public static byte[] ToArray(MqttPacket packet, MqttProtocolVersion version)
    {
        var buffer = new ArrayBufferWriter<byte>();
        Write(packet, version, buffer);
        return buffer.WrittenSpan.ToArray();
    }

    private static int MeasureBody(MqttPacket packet, MqttProtocolVersion version)
    {
        var measure = MqttSpanWriter.Measuring();
        MqttPacketEncoder.WriteBody(ref measure, packet, version);
        if ((uint)measure.Position > MqttVariableByteInteger.MaxValue)
            throw new ArgumentException($"{packet.Type} body of {measure.Position} bytes exceeds 268,435,455 (MQTT 5.0 §1.5.5)", nameof(packet));
        return measure.Position;
    }
}
