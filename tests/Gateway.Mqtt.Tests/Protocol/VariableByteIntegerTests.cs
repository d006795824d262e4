using System.Buffers;
using Gateway.Mqtt.Packets;
using Gateway.Mqtt.Protocol;

namespace Gateway.Mqtt.Tests.Protocol;

public sealed class VariableByteIntegerTests
{
    // The boundary table of MQTT 5.0 §1.5.5 (table 1-1) and MQTT 3.1.1 §2.2.3 (table 2.4):
    // the smallest and largest value for 1, 2, 3 and 4 bytes.
    [Theory]
    [InlineData(0u, "00")]
    [InlineData(127u, "7F")]
    [InlineData(128u, "80 01")]
    [InlineData(16_383u, "FF 7F")]
    [InlineData(16_384u, "80 80 01")]
    [InlineData(2_097_151u, "FF FF 7F")]
    [InlineData(2_097_152u, "80 80 80 01")]
    [InlineData(268_435_455u, "FF FF FF 7F")]
    public void Spec_table_values_encode_and_decode(uint value, string hex)
    {
        byte[] expected = Hex.Parse(hex);
        var buffer = new byte[4];
        int written = MqttVariableByteInteger.Write(buffer, value);
        Assert.Equal(expected, buffer[..written]);
        Assert.Equal(expected.Length, MqttVariableByteInteger.GetByteCount(value));

        var status = MqttVariableByteInteger.TryRead(expected, out uint decoded, out int consumed, out _);
        Assert.Equal(MqttVariableByteInteger.Status.Done, status);
        Assert.Equal(value, decoded);
        Assert.Equal(expected.Length, consumed);
    }

    [Fact]
    public void Values_above_268435455_cannot_be_encoded() =>
        Assert.Throws<ArgumentOutOfRangeException>(() => MqttVariableByteInteger.GetByteCount(268_435_456));

    [Theory]
    [InlineData("80")]
    [InlineData("FF FF")]
    [InlineData("FF FF FF")]
    public void A_truncated_integer_needs_more(string hex) =>
        Assert.Equal(MqttVariableByteInteger.Status.NeedMore, MqttVariableByteInteger.TryRead(Hex.Parse(hex), out _, out _, out _));

    [Theory]
    [InlineData("FF FF FF FF 01")]   // a fifth byte (§1.5.5: at most four)
    [InlineData("80 80 80 80")]      // continuation on the fourth byte
    [InlineData("80 00")]            // 0 in two bytes: not the minimum number of bytes (MQTT 5.0 §1.5.5)
    public void Over_long_or_non_minimal_forms_are_malformed(string hex) =>
        Assert.Equal(MqttVariableByteInteger.Status.Malformed, MqttVariableByteInteger.TryRead(Hex.Parse(hex), out _, out _, out _));

    [Fact]
    public void Reader_needs_more_on_a_partial_remaining_length_and_rejects_a_fifth_byte()
    {
        // PUBLISH with a 4-byte remaining length of 268,435,455 (the spec maximum): framing needs the body.
        var buffer = new ReadOnlySequence<byte>(Hex.Parse("30 FF FF FF 7F 00"));
        Assert.False(MqttPacketReader.TryRead(ref buffer, MqttProtocolVersion.V500, out _));
        Assert.Equal(6, buffer.Length);

        var partial = new ReadOnlySequence<byte>(Hex.Parse("30 FF FF"));
        Assert.False(MqttPacketReader.TryRead(ref partial, MqttProtocolVersion.V500, out _));

        var tooLong = new ReadOnlySequence<byte>(Hex.Parse("30 FF FF FF FF 01"));
        Assert.Throws<MqttProtocolException>(() => MqttPacketReader.TryRead(ref tooLong, MqttProtocolVersion.V500, out _));
    }

    [Fact]
    public void Remaining_length_of_a_real_packet_crosses_the_one_byte_boundary()
    {
        // A PUBLISH whose body is exactly 128 bytes uses "80 01" (§1.5.5: 128 = 0x80 0x01).
        var packet = new PublishPacket { Topic = "t", Payload = new byte[128 - 3] };
        byte[] bytes = MqttPacketWriter.ToArray(packet, MqttProtocolVersion.V311);
        Assert.Equal(Hex.Parse("30 80 01"), bytes[..3]);
        Assert.Equal(131, bytes.Length);
    }
}
