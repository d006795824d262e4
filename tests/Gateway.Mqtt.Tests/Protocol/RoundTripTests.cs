using System.Buffers;
using Gateway.Mqtt.Packets;
using Gateway.Mqtt.Protocol;

namespace Gateway.Mqtt.Tests.Protocol;

public sealed class RoundTripTests
{
    public static TheoryData<MqttProtocolVersion, int> Cases()
    {
        var data = new TheoryData<MqttProtocolVersion, int>();
        foreach (var v in new[] { MqttProtocolVersion.V311, MqttProtocolVersion.V500 })
            for (int i = 0; i < PacketCorpus.All(v).Count(); i++) data.Add(v, i);
        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Write_read_write_gives_the_same_bytes(MqttProtocolVersion v, int index)
    {
        var packet = PacketCorpus.All(v).ElementAt(index);
        byte[] first = MqttPacketWriter.ToArray(packet, v);
        Assert.Equal(first.Length, MqttPacketWriter.GetSize(packet, v));
        var buffer = new ReadOnlySequence<byte>(first);
        Assert.True(MqttPacketReader.TryRead(ref buffer, v, out var decoded));
        Assert.True(buffer.IsEmpty);
        Assert.Equal(packet.GetType(), decoded.GetType());
        Assert.Equal(Hex.Format(first), Hex.Format(MqttPacketWriter.ToArray(decoded, v)));
    }

    [Fact]
    public void Every_packet_type_is_covered_in_both_versions()
    {
        // PUBREC/PUBREL/PUBCOMP are deliberately absent: this client never uses QoS 2.
        var v3 = PacketCorpus.All(MqttProtocolVersion.V311).Select(p => p.Type).ToHashSet();
        var v5 = PacketCorpus.All(MqttProtocolVersion.V500).Select(p => p.Type).ToHashSet();
        var expected = Enum.GetValues<MqttPacketType>().Except([MqttPacketType.PubRec, MqttPacketType.PubRel, MqttPacketType.PubComp]).ToHashSet();
        Assert.Equal(expected, v5);
        Assert.Equal(expected.Except([MqttPacketType.Auth]).ToHashSet(), v3);
    }

    [Fact]
    public void Decoded_fields_survive_the_trip()
    {
        var v = MqttProtocolVersion.V500;
        var connect = (ConnectPacket)PacketCorpus.All(v).First();
        var buffer = new ReadOnlySequence<byte>(MqttPacketWriter.ToArray(connect, v));
        Assert.True(MqttPacketReader.TryRead(ref buffer, v, out var packet));
        var c = (ConnectPacket)packet;
        Assert.Equal("gw-1", c.ClientId);
        Assert.False(c.CleanStart);
        Assert.Equal(3600u, c.Properties.SessionExpiryInterval);
        Assert.Equal((ushort)20, c.Properties.ReceiveMaximum);
        Assert.Equal(5u, c.Will!.Properties.WillDelayInterval);
        Assert.Equal("text/plain", c.Will.Properties.ContentType);
        Assert.DoesNotContain("pw", c.ToString());  // the password is never printed

        var publish = PacketCorpus.All(v).OfType<PublishPacket>().First();
        buffer = new ReadOnlySequence<byte>(MqttPacketWriter.ToArray(publish, v));
        Assert.True(MqttPacketReader.TryRead(ref buffer, v, out packet));
        var p = (PublishPacket)packet;
        Assert.Equal([1u, 300u], p.Properties.SubscriptionIdentifiers);
        Assert.Equal([1, 2], p.Properties.CorrelationData!.Value.ToArray());
        Assert.Equal(new MqttUserProperty("a", "b"), Assert.Single(p.Properties.UserProperties));
    }

    [Fact]
    public void Properties_are_not_written_on_311()
    {
        var packet = new PublishPacket { Topic = "t", Payload = new byte[] { 1 }, Properties = new MqttProperties { ContentType = "x" } };
        Assert.Equal(Hex.Parse("30 04 00 01 74 01"), MqttPacketWriter.ToArray(packet, MqttProtocolVersion.V311));
    }
}
