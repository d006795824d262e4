using System.Buffers;
using Gateway.Mqtt.Protocol;

namespace Gateway.Mqtt.Tests.Protocol;

/// <summary>
/// A bounded, fixed-seed fuzz run of the reader (libcoap's oss-fuzz idea as an xunit test): valid
/// streams are mutated and nothing but "need more" (false) or <see cref="MqttProtocolException"/>
/// may come out; a successful read must make progress.
/// </summary>
public sealed class ReaderMutationTests
{
    [Fact]
    public void Two_hundred_thousand_mutated_streams_only_ever_need_more_or_fail_cleanly()
    {
        var rng = new Random(20260101);
        var seeds = new[] { MqttProtocolVersion.V311, MqttProtocolVersion.V500 }
            .SelectMany(v => PacketCorpus.All(v).Select(p => (v, bytes: Gateway.Mqtt.Protocol.MqttPacketWriter.ToArray(p, v))))
            .ToArray();
        int decoded = 0, rejected = 0, incomplete = 0;
        for (int i = 0; i < 200_000; i++)
        {
            var (version, original) = seeds[rng.Next(seeds.Length)];
            byte[] input = Mutate(original, rng);
            var readVersion = rng.Next(4) == 0 ? (MqttProtocolVersion)(9 - (int)version) : version;  // sometimes the other version
            var buffer = input.Length > 2 && rng.Next(2) == 0
                ? Segments.SplitAt(input, rng.Next(1, input.Length))
                : new ReadOnlySequence<byte>(input);
            try
            {
                while (true)
                {
                    long before = buffer.Length;
                    if (!MqttPacketReader.TryRead(ref buffer, readVersion, out _)) { incomplete++; break; }
                    decoded++;
                    Assert.True(buffer.Length < before, "a successful read must consume bytes");
                }
            }
            catch (MqttProtocolException)
            {
                rejected++;
            }
            catch (Exception ex)
            {
                Assert.Fail($"input {Hex.Format(input)} (v{(int)readVersion}) threw {ex.GetType().Name}: {ex.Message}");
            }
        }
        // The mutations must reach all three outcomes, or the test is not testing much.
        Assert.True(decoded > 10_000 && rejected > 10_000 && incomplete > 10_000, $"decoded {decoded}, rejected {rejected}, incomplete {incomplete}");
    }

    private static byte[] Mutate(byte[] original, Random rng)
    {
        var bytes = new List<byte>(original);
        int edits = rng.Next(1, 4);
        for (int e = 0; e < edits; e++)
        {
            switch (rng.Next(6))
            {
                case 0 when bytes.Count > 0: bytes[rng.Next(bytes.Count)] ^= (byte)(1 << rng.Next(8)); break;
                case 1 when bytes.Count > 0: bytes[rng.Next(bytes.Count)] = (byte)rng.Next(256); break;
                case 2: bytes.Insert(rng.Next(bytes.Count + 1), (byte)rng.Next(256)); break;
                case 3 when bytes.Count > 0: bytes.RemoveAt(rng.Next(bytes.Count)); break;
                case 4 when bytes.Count > 0:
                    int keep = rng.Next(bytes.Count);  // truncate
                    bytes.RemoveRange(keep, bytes.Count - keep);
                    break;
                default: bytes.AddRange(original); break;  // a second packet back to back
            }
        }
        return [.. bytes];
    }
}
