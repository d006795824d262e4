using System.Text.Json.Nodes;
using Gateway.Devices.Exosite.Cbor;

namespace Gateway.Devices.Tests.Exosite.Cbor;

/// <summary>
/// A bounded, fixed-seed mutation test of the mapping's decoder (the xunit twin of an oss-fuzz target):
/// bit flips, byte overwrites, truncations, deletions and insertions of valid vectors into valid
/// documents. For every input: <see cref="CborJson.TryDecode"/> throws nothing, a refusal is an error
/// value with no value, and an accepted value encodes and decodes back to itself.
/// </summary>
public class CborJsonMutationTests
{
    private const int Iterations = 100_000;
    private const int MaxDepth = 16;

    [Fact]
    public void TryDecode_MutatedInputs_NeverThrow_EveryErrorIsAValue()
    {
        byte[][] seeds = Seeds();
        var random = new Random(8949);
        var outcomes = new Dictionary<CborJsonError, int>();
        for (int i = 0; i < Iterations; i++)
        {
            byte[] input = Mutate(random, seeds, random.Next(1, 5));
            bool ok;
            JsonNode? value;
            CborJsonError error;
            try
            {
                ok = CborJson.TryDecode(input, MaxDepth, out value, out error);
            }
            catch (Exception e)
            {
                Assert.Fail($"{e.GetType().Name} escaped TryDecode: {e.Message} (iteration {i}, input {Convert.ToHexStringLower(input)})");
                throw;
            }

            outcomes[error] = outcomes.GetValueOrDefault(error) + 1;
            Assert.True(ok == (error == CborJsonError.None), $"iteration {i}");
            if (!ok)
            {
                Assert.Null(value);
                continue;
            }

            byte[] again = CborJson.Encode(value);
            Assert.True(CborJson.TryDecode(again, MaxDepth, out JsonNode? back, out CborJsonError backError), $"{backError}: re-encoding of {Convert.ToHexStringLower(input)}");
            Assert.True(JsonNode.DeepEquals(value, back), $"round trip of {Convert.ToHexStringLower(input)}");
        }

        // The mutations must leave a fair share of valid inputs, or the deep paths are not exercised,
        // and reach the refusals beyond "malformed".
        Assert.InRange(outcomes.GetValueOrDefault(CborJsonError.None), Iterations / 50, Iterations);
        foreach (CborJsonError kind in new[] { CborJsonError.Malformed, CborJsonError.TrailingData, CborJsonError.InvalidUtf8, CborJsonError.UnsupportedTag,
            CborJsonError.UnsupportedSimpleValue, CborJsonError.UnsupportedMapKey, CborJsonError.DuplicateKey })
        {
            Assert.True(outcomes.GetValueOrDefault(kind) > 0, $"no input ended in {kind}: {string.Join(", ", outcomes)}");
        }
    }

    private static byte[] Mutate(Random random, byte[][] seeds, int mutations)
    {
        var data = new List<byte>(seeds[random.Next(seeds.Length)]);
        for (int m = 0; m < mutations; m++)
        {
            int position = data.Count == 0 ? 0 : random.Next(data.Count);
            switch (random.Next(7))
            {
                case 0 when data.Count > 0: data[position] ^= (byte)(1 << random.Next(8)); break;
                case 1 when data.Count > 0: data[position] = (byte)random.Next(256); break;
                case 2: data.RemoveRange(position, data.Count - position); break; // truncate
                case 3 when data.Count > 0: data.RemoveRange(position, Math.Min(random.Next(1, 4), data.Count - position)); break;
                case 4: data.InsertRange(position, seeds[random.Next(seeds.Length)]); break; // a valid vector inside
                case 5: data.Insert(position, (byte)random.Next(256)); break;
                default:
                    // Interesting header bytes: break, indefinite starts, huge lengths, tags, reserved values.
                    byte[] special = [0xFF, 0x5F, 0x7F, 0x9F, 0xBF, 0x1B, 0x5B, 0x9B, 0xBB, 0xC2, 0xD8, 0x1C, 0xF8, 0xF9];
                    data.Insert(position, special[random.Next(special.Length)]);
                    break;
            }
        }

        return [.. data];
    }

    private static byte[][] Seeds()
    {
        var seeds = new List<byte[]>();
        foreach (object[] row in AppendixATests.Vectors) seeds.Add(Convert.FromHexString((string)row[0]));

        // What the Exosite API carries, so mutations reach maps in arrays and strings in chunks.
        seeds.Add(Convert.FromHexString("a26277316432362e31627732626f6e")); // {"w1": "26.1", "w2": "on"} (CoAPExample)
        seeds.Add(CborJson.Encode(JsonNode.Parse("""
            {"auth":{"cik":"0123456789abcdef0123456789abcdef01234567"},"calls":[
              {"id":1,"procedure":"read","arguments":[{"alias":"r1"},{"limit":1}]},
              {"id":2,"procedure":"write","arguments":[{"alias":"w1"},65.4]},
              {"id":3,"procedure":"record","arguments":[{"alias":"w2"},[[1410360812,65.4],[1410360813,-66.3]],{}]}]}
            """)));
        seeds.Add(Convert.FromHexString("bf6474656d70f94d60626f6ef5647461677383617a42" + "00ff" + "f6ff")); // {_ "temp": 21.5, "on": true, "tags": ["z", h'00ff', null]}
        seeds.Add(Convert.FromHexString("a5007f6161626263ff1818a1616180390100f6603b000000010000000061751bffffffffffffffff")); // {0: (_ "a", "bc"), 24: {"a": []}, -257: null, "": -4294967297, "u": 2^64-1}
        return [.. seeds];
    }
}
