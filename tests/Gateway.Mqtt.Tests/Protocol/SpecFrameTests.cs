using System.Buffers;
using System.Text;
using Gateway.Mqtt.Packets;
using Gateway.Mqtt.Protocol;

namespace Gateway.Mqtt.Tests.Protocol;

/// <summary>
/// Frames written by hand, field by field, from the packet layouts in MQTT 3.1.1 §3 and MQTT 5.0 §3
/// (comments name the section each group of bytes comes from). Each frame must decode to the stated
/// packet and the writer must produce exactly these bytes.
/// </summary>
public sealed class SpecFrameTests
{
    private const MqttProtocolVersion V3 = MqttProtocolVersion.V311;
    private const MqttProtocolVersion V5 = MqttProtocolVersion.V500;

    private static T ReadOne<T>(byte[] frame, MqttProtocolVersion v) where T : MqttPacket
    {
        var buffer = new ReadOnlySequence<byte>(frame);
        Assert.True(MqttPacketReader.TryRead(ref buffer, v, out var packet));
        Assert.True(buffer.IsEmpty);
        return Assert.IsType<T>(packet);
    }

    private static void AssertWrites(MqttPacket packet, MqttProtocolVersion v, byte[] frame) =>
        Assert.Equal(Hex.Format(frame), Hex.Format(MqttPacketWriter.ToArray(packet, v)));

    [Fact]
    public void Connect_v311_with_username_and_password()
    {
        byte[] frame = Hex.Parse(
            "10 18" +                  // §2.2: type 1, flags 0; remaining length 24
            "00 04 4D 51 54 54" +      // §3.1.2.1 protocol name "MQTT"
            "04" +                     // §3.1.2.2 protocol level 4
            "C2" +                     // §3.1.2.3 flags: user name, password, clean session
            "00 3C" +                  // §3.1.2.10 keep alive 60 s
            "00 03 67 77 31" +         // §3.1.3.1 client id "gw1"
            "00 03 74 6F 6B" +         // §3.1.3.4 user name "tok"
            "00 02 70 77");            // §3.1.3.5 password "pw"
        var p = ReadOne<ConnectPacket>(frame, V3);
        Assert.Equal(MqttProtocolVersion.V311, p.ProtocolVersion);
        Assert.Equal("gw1", p.ClientId);
        Assert.Equal((ushort)60, p.KeepAliveSeconds);
        Assert.True(p.CleanStart);
        Assert.Equal("tok", p.Username);
        Assert.Equal("pw", Encoding.UTF8.GetString(p.Password!.Value.Span));
        AssertWrites(p, V3, frame);
    }

    [Fact]
    public void Connect_v5_with_session_expiry_and_will()
    {
        byte[] frame = Hex.Parse(
            "10 24" +                  // remaining length 36
            "00 04 4D 51 54 54 05" +   // §3.1.2.1–3.1.2.2 "MQTT", level 5
            "2E" +                     // §3.1.2.3 flags: will retain(0x20), will QoS 1(0x08), will(0x04), clean start(0x02)
            "00 1E" +                  // keep alive 30
            "05 11 00 00 0E 10" +      // §3.1.2.11 properties (5 bytes): Session Expiry Interval (0x11) = 3600
            "00 01 63" +               // §3.1.3.1 client id "c"
            "00" +                     // §3.1.3.2 will properties: none
            "00 09 67 77 2F 73 74 61 74 75 73" + // §3.1.3.3 will topic "gw/status"
            "00 03 6F 66 66");         // §3.1.3.4 will payload "off"
        var p = ReadOne<ConnectPacket>(frame, V5);
        Assert.Equal(3600u, p.Properties.SessionExpiryInterval);
        Assert.Equal("gw/status", p.Will!.Topic);
        Assert.Equal(MqttQualityOfService.AtLeastOnce, p.Will.QoS);
        Assert.True(p.Will.Retain);
        Assert.Null(p.Username);
        AssertWrites(p, V5, frame);
    }

    [Fact]
    public void ConnAck_v311_accepted_and_refused()
    {
        // §3.2: 20 02, acknowledge flags, return code.
        var ok = ReadOne<ConnAckPacket>(Hex.Parse("20 02 01 00"), V3);
        Assert.True(ok.SessionPresent);
        Assert.Equal(MqttReasonCode.Success, ok.ReasonCode);
        // §3.2.2.3 return code 4 "bad user name or password" maps to v5 0x86.
        var refused = ReadOne<ConnAckPacket>(Hex.Parse("20 02 00 04"), V3);
        Assert.Equal(MqttReasonCode.BadUserNameOrPassword, refused.ReasonCode);
        AssertWrites(refused, V3, Hex.Parse("20 02 00 04"));
    }

    [Fact]
    public void ConnAck_v5_with_receive_maximum_and_maximum_packet_size()
    {
        byte[] frame = Hex.Parse(
            "20 0B" +            // remaining length 11
            "00" +               // §3.2.2.1 acknowledge flags
            "00" +               // §3.2.2.2 reason code Success
            "08" +               // §3.2.2.3 property length 8
            "21 00 0A" +         // §3.2.2.3.3 Receive Maximum = 10
            "27 00 00 04 00");   // §3.2.2.3.6 Maximum Packet Size = 1024
        var p = ReadOne<ConnAckPacket>(frame, V5);
        Assert.Equal((ushort)10, p.Properties.ReceiveMaximum);
        Assert.Equal(1024u, p.Properties.MaximumPacketSize);
        AssertWrites(p, V5, frame);

        var refused = ReadOne<ConnAckPacket>(Hex.Parse("20 03 00 87 00"), V5);  // 0x87 Not authorized
        Assert.Equal(MqttReasonCode.NotAuthorized, refused.ReasonCode);
    }

    [Fact]
    public void Publish_qos1_both_versions()
    {
        // §3.3: 0x32 = PUBLISH, QoS 1; topic "a/b"; packet id 10; payload "hi".
        byte[] v3 = Hex.Parse("32 09 00 03 61 2F 62 00 0A 68 69");
        var p = ReadOne<PublishPacket>(v3, V3);
        Assert.Equal("a/b", p.Topic);
        Assert.Equal((ushort)10, p.PacketId);
        Assert.Equal(MqttQualityOfService.AtLeastOnce, p.QoS);
        Assert.Equal("hi", Encoding.UTF8.GetString(p.Payload.Span));
        AssertWrites(p, V3, v3);
        // MQTT 5.0 §3.3.2.3: the same plus a property length (0) after the packet id.
        byte[] v5 = Hex.Parse("32 0A 00 03 61 2F 62 00 0A 00 68 69");
        AssertWrites(ReadOne<PublishPacket>(v5, V5), V5, v5);
        // DUP (§3.3.1.1) and RETAIN (§3.3.1.3) flags: 0x3B = PUBLISH | DUP | QoS 1 | RETAIN.
        var dup = ReadOne<PublishPacket>(Hex.Parse("3B 09 00 03 61 2F 62 00 0A 68 69"), V3);
        Assert.True(dup.Dup);
        Assert.True(dup.Retain);
    }

    [Fact]
    public void PubAck_short_and_long_forms()
    {
        // 3.1.1 §3.4 and the v5 short form (§3.4.2.1: reason omitted when Success without properties).
        byte[] shortForm = Hex.Parse("40 02 00 0A");
        Assert.Equal(MqttReasonCode.Success, ReadOne<PubAckPacket>(shortForm, V3).ReasonCode);
        AssertWrites(ReadOne<PubAckPacket>(shortForm, V5), V5, shortForm);
        // v5 with reason 0x99 Payload format invalid and no property length (§3.4.2.2.1).
        byte[] reasonOnly = Hex.Parse("40 03 00 0A 99");
        var p = ReadOne<PubAckPacket>(reasonOnly, V5);
        Assert.Equal(MqttReasonCode.PayloadFormatInvalid, p.ReasonCode);
        AssertWrites(p, V5, reasonOnly);
        // v5 with 0x97 Quota exceeded and a Reason String (0x1F) "q".
        var withString = ReadOne<PubAckPacket>(Hex.Parse("40 08 00 0A 97 04 1F 00 01 71"), V5);
        Assert.Equal("q", withString.Properties.ReasonString);
    }

    [Fact]
    public void Subscribe_and_SubAck_both_versions()
    {
        // §3.8: 0x82 (flags 0010, §3.8.1), packet id 1, filter "a/#", options QoS 1.
        byte[] sub3 = Hex.Parse("82 08 00 01 00 03 61 2F 23 01");
        var s = ReadOne<SubscribePacket>(sub3, V3);
        Assert.Equal("a/#", Assert.Single(s.Subscriptions).TopicFilter);
        AssertWrites(s, V3, sub3);
        byte[] sub5 = Hex.Parse("82 09 00 01 00 00 03 61 2F 23 01");  // v5: property length 0 (§3.8.2.1)
        AssertWrites(ReadOne<SubscribePacket>(sub5, V5), V5, sub5);
        // v5 options byte 0x2C: Retain Handling 2, Retain As Published, No Local, QoS 0 (§3.8.3.1).
        var opts = Assert.Single(ReadOne<SubscribePacket>(Hex.Parse("82 09 00 01 00 00 03 61 2F 23 2C"), V5).Subscriptions);
        Assert.True(opts.NoLocal && opts.RetainAsPublished);
        Assert.Equal(MqttRetainHandling.DoNotSend, opts.RetainHandling);

        byte[] ack3 = Hex.Parse("90 03 00 01 01");             // §3.9: granted QoS 1
        Assert.Equal([MqttReasonCode.GrantedQoS1], ReadOne<SubAckPacket>(ack3, V3).ReasonCodes);
        byte[] ack5 = Hex.Parse("90 04 00 01 00 80");          // v5: property length 0, failure 0x80
        Assert.Equal([MqttReasonCode.UnspecifiedError], ReadOne<SubAckPacket>(ack5, V5).ReasonCodes);
    }

    [Fact]
    public void Unsubscribe_UnsubAck_Ping_Disconnect_Auth()
    {
        AssertWrites(ReadOne<UnsubscribePacket>(Hex.Parse("A2 07 00 02 00 03 61 2F 23"), V3), V3, Hex.Parse("A2 07 00 02 00 03 61 2F 23"));
        Assert.Empty(ReadOne<UnsubAckPacket>(Hex.Parse("B0 02 00 02"), V3).ReasonCodes);                  // 3.1.1 §3.11
        Assert.Equal([MqttReasonCode.NoSubscriptionExisted], ReadOne<UnsubAckPacket>(Hex.Parse("B0 04 00 02 00 11"), V5).ReasonCodes);
        ReadOne<PingReqPacket>(Hex.Parse("C0 00"), V3);                                                   // §3.12
        ReadOne<PingRespPacket>(Hex.Parse("D0 00"), V5);                                                  // §3.13
        Assert.Equal(MqttReasonCode.Success, ReadOne<DisconnectPacket>(Hex.Parse("E0 00"), V3).ReasonCode); // §3.14
        var taken = ReadOne<DisconnectPacket>(Hex.Parse("E0 01 8E"), V5);                                 // v5 §3.14.2.1: reason, no properties
        Assert.Equal(MqttReasonCode.SessionTakenOver, taken.ReasonCode);
        AssertWrites(taken, V5, Hex.Parse("E0 01 8E"));
        ReadOne<AuthPacket>(Hex.Parse("F0 00"), V5);                                                      // §3.15.2.1
    }
}
