using System.Buffers;
using Gateway.Mqtt.Protocol;

namespace Gateway.Mqtt.Tests.Protocol;

/// <summary>One frame per rule that makes a packet malformed; the section is named next to each.</summary>
public sealed class MalformedFrameTests
{
    [Theory]
    [InlineData(5, "00 00")]                                        // §2.1.2: packet type 0 is reserved
    [InlineData(4, "F0 00")]                                        // 3.1.1 §2.2.1: type 15 reserved (AUTH is v5 only)
    [InlineData(5, "C1 00")]                                        // §2.1.3: PINGREQ flags must be 0
    [InlineData(5, "80 08 00 01 00 03 61 2F 23 01")]                // §3.8.1: SUBSCRIBE flags must be 0010
    [InlineData(5, "36 05 00 01 74 00 01")]                         // §3.3.1.2: PUBLISH QoS 3
    [InlineData(5, "38 04 00 01 74 00")]                            // §3.3.1.1: DUP on QoS 0
    [InlineData(4, "32 05 00 01 74 00 00")]                         // §2.2.1: QoS 1 PUBLISH with packet id 0
    [InlineData(4, "30 05 00 01 2B 68 69")]                         // §3.3.2.1: wildcard '+' in a topic name
    [InlineData(4, "30 04 00 00 68 69")]                            // 3.1.1 §4.7.3: empty topic name
    [InlineData(4, "30 05 00 02 C3 28 68")]                         // §1.5.3: invalid UTF-8 (C3 28)
    [InlineData(4, "30 05 00 02 61 00 68")]                         // §1.5.3: U+0000 in a string
    [InlineData(4, "30 04 00 05 61 62")]                            // string length beyond the packet
    [InlineData(4, "20 02 00 06")]                                  // 3.1.1 §3.2.2.3: CONNACK return code 6 reserved
    [InlineData(4, "20 02 02 00")]                                  // §3.2.2.1: CONNACK reserved flag bits
    [InlineData(4, "20 03 00 00 00")]                               // 3.1.1 CONNACK with a trailing byte
    [InlineData(4, "40 03 00 01 00")]                               // 3.1.1 PUBACK longer than 2
    [InlineData(5, "40 02 00 00")]                                  // §2.2.1: PUBACK packet id 0
    [InlineData(5, "20 08 00 00 05 21 00 01 21 00 02")]             // §3.2.2.3.3: Receive Maximum twice
    [InlineData(5, "20 06 00 00 03 21 00 00")]                      // §3.2.2.3.3: Receive Maximum 0
    [InlineData(5, "20 05 00 00 02 24 02")]                         // §3.2.2.3.4: Maximum QoS 2
    [InlineData(5, "40 06 00 01 00 02 23 00")]                      // §2.2.2.2: property length beyond the packet
    [InlineData(5, "40 07 00 01 00 03 23 00 01")]                   // §2.2.2.2 table 2-4: Topic Alias not allowed in PUBACK
    [InlineData(5, "40 05 00 01 00 01 7F")]                         // unknown property 0x7F
    [InlineData(5, "82 03 00 01 00")]                               // §3.8.3: SUBSCRIBE without a filter
    [InlineData(5, "82 07 00 01 00 00 01 61 C0")]                   // §3.8.3.1: reserved option bits
    [InlineData(4, "82 06 00 01 00 01 61 04")]                      // 3.1.1 §3.8.3.1: No Local bit is reserved in 3.1.1
    [InlineData(5, "82 07 00 01 00 00 01 61 30")]                   // §3.8.3.1: Retain Handling 3
    [InlineData(5, "10 0D 00 04 4D 51 54 54 05 01 00 00 00 00 00")] // §3.1.2.3: CONNECT reserved flag
    [InlineData(5, "10 0D 00 04 4D 51 54 54 05 18 00 00 00 00 00")] // §3.1.2.6: Will QoS 3
    [InlineData(4, "10 0C 00 04 4D 51 54 54 04 40 00 00 00 00")]    // 3.1.1 §3.1.2.9: password without user name
    [InlineData(5, "10 0C 00 04 4D 51 54 54 03 02 00 00 00 00")]    // §3.1.2.2: protocol level 3
    [InlineData(5, "10 0C 00 04 4D 51 49 73 05 02 00 00 00 00")]    // §3.1.2.1: protocol name "MQIs"
    [InlineData(5, "50 02 00 01")]                                  // PUBREC: QoS 2 is never used by this client
    [InlineData(5, "30 80 00")]                                     // §1.5.5: non-minimal remaining length
    public void Is_rejected(int version, string hex)
    {
        byte[] frame = Hex.Parse(hex);
        var buffer = new ReadOnlySequence<byte>(frame);
        Assert.Throws<MqttProtocolException>(() => MqttPacketReader.TryRead(ref buffer, (MqttProtocolVersion)version, out _));
        Assert.Equal(frame.Length, buffer.Length);  // a failed read consumes nothing
    }

    [Fact]
    public void Maximum_packet_size_is_enforced_before_the_body_arrives()
    {
        // §3.1.2.11.4: a PUBLISH announcing 1,000 bytes against a 100-byte limit fails on the header alone.
        var buffer = new ReadOnlySequence<byte>(Hex.Parse("30 E8 07"));
        var ex = Assert.Throws<MqttProtocolException>(() => MqttPacketReader.TryRead(ref buffer, MqttProtocolVersion.V500, 100, out _));
        Assert.Equal(MqttReasonCode.PacketTooLarge, ex.ReasonCode);
    }
}
