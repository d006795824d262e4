using System.Buffers;
using Gateway.Mqtt.Packets;
using Gateway.Mqtt.Protocol;

namespace Gateway.Mqtt.Tests.Protocol;

/// <summary>TCP may cut the stream anywhere: every cut of a multi-packet stream must decode identically.</summary>
public sealed class SplitBufferTests
{
    [Theory]
    [InlineData(MqttProtocolVersion.V311)]
    [InlineData(MqttProtocolVersion.V500)]
    public void Every_split_point_of_a_two_segment_buffer(MqttProtocolVersion v)
    {
        byte[] stream = PacketCorpus.Concatenated(v);
        string expected = Reencode(ReadAll(new ReadOnlySequence<byte>(stream), v), v);
        for (int cut = 0; cut <= stream.Length; cut++)
            Assert.Equal(expected, Reencode(ReadAll(Segments.SplitAt(stream, cut), v), v));
    }

    [Theory]
    [InlineData(MqttProtocolVersion.V311)]
    [InlineData(MqttProtocolVersion.V500)]
    public void Bytes_arriving_in_two_reads_at_every_split_point(MqttProtocolVersion v)
    {
        byte[] stream = PacketCorpus.Concatenated(v);
        string expected = Hex.Format(stream);
        for (int cut = 0; cut <= stream.Length; cut++)
        {
            var packets = new List<MqttPacket>();
            // First read: only the prefix has arrived. Whatever is not consumed stays for the next read,
            // exactly as PipeReader.AdvanceTo(consumed, examined) leaves it.
            var pending = new ReadOnlySequence<byte>(stream[..cut]);
            while (MqttPacketReader.TryRead(ref pending, v, out var p)) packets.Add(p);
            var rest = Segments.Of(pending.ToArray(), stream[cut..]);
            while (MqttPacketReader.TryRead(ref rest, v, out var p)) packets.Add(p);
            Assert.True(rest.IsEmpty);
            Assert.Equal(expected, Reencode(packets, v));
        }
    }

    [Fact]
    public void One_byte_at_a_time()
    {
        var v = MqttProtocolVersion.V500;
        byte[] stream = PacketCorpus.Concatenated(v);
        var packets = new List<MqttPacket>();
        byte[] carry = [];
        foreach (byte b in stream)
        {
            var seq = Segments.Of(carry, [b]);
            long before = seq.Length;
            while (MqttPacketReader.TryRead(ref seq, v, out var p)) packets.Add(p);
            Assert.True(seq.Length <= before);
            carry = seq.ToArray();
        }
        Assert.Empty(carry);
        Assert.Equal(Hex.Format(stream), Reencode(packets, v));
    }

    [Fact]
    public void Every_cut_into_single_byte_segments()
    {
        var v = MqttProtocolVersion.V311;
        byte[] stream = PacketCorpus.Concatenated(v);
        var seq = Segments.Of(stream.Select(b => new[] { b }).ToArray());
        Assert.Equal(Hex.Format(stream), Reencode(ReadAll(seq, v), v));
    }

    private static List<MqttPacket> ReadAll(ReadOnlySequence<byte> seq, MqttProtocolVersion v)
    {
        var list = new List<MqttPacket>();
        while (MqttPacketReader.TryRead(ref seq, v, out var p)) list.Add(p);
        Assert.True(seq.IsEmpty);
        return list;
    }

    private static string Reencode(IEnumerable<MqttPacket> packets, MqttProtocolVersion v) =>
        Hex.Format(packets.SelectMany(p => MqttPacketWriter.ToArray(p, v)).ToArray());
}
