using System.Text.Json.Nodes;
using Gateway.Cbor.Tests.Support;
using Gateway.Cbor.Tests.Vectors;

namespace Gateway.Cbor.Tests.Fuzz;

/// <summary>
/// A bounded, fixed-seed mutation test of the reader (the xunit twin of an oss-fuzz target): bit flips,
/// byte overwrites, truncations, deletions and insertions of valid vectors into valid documents. For
/// every input: the token walker throws nothing but CborContentException/InvalidOperationException,
/// a failing read leaves BytesRemaining and depth unchanged, the non-throwing validator never throws
/// and agrees with the walker (same verdict, same error code), and the JSON and diagnostic
/// converters throw only the documented exceptions.
/// </summary>
public class CborReaderMutationTests
{
    private const int Iterations = 120_000;
    private const int MaxDepth = 16;

    [Fact]
    public void Reader_MutatedInputs_OnlyDocumentedOutcomes()
    {
        byte[][] seeds = Seeds();
        var random = new Random(8949);
        CborConformanceMode[] modes = [CborConformanceMode.Lax, CborConformanceMode.Strict, CborConformanceMode.Canonical];
        int valid = 0;
        for (int i = 0; i < Iterations; i++)
        {
            byte[] input = Mutate(random, seeds, random.Next(1, 5));
            CborConformanceMode mode = modes[i % modes.Length];
            string context = $"iteration {i}, mode {mode}, input {Convert.ToHexStringLower(input)}";

            (bool walkOk, CborContentError walkError) = Walk(input, mode, context);
            bool validatorOk;
            CborContentError validatorError;
            try
            {
                validatorOk = CborReader.TryValidate(input, mode, MaxDepth, out validatorError);
            }
            catch (Exception e)
            {
                Assert.Fail($"TryValidate threw {e.GetType().Name}: {e.Message} ({context})");
                throw;
            }

            Assert.True(walkOk == validatorOk, $"walker {walkOk}/{walkError} vs validator {validatorOk}/{validatorError} ({context})");
            if (!walkOk && walkError != CborContentError.None)
            {
                Assert.True(walkError == validatorError, $"walker {walkError} vs validator {validatorError} ({context})");
            }

            if (validatorOk) valid++;
            ConvertersThrowOnlyDocumentedExceptions(input, mode, context);
        }

        // The mutations must leave a fair share of valid inputs, or the deep paths are not exercised.
        Assert.InRange(valid, Iterations / 50, Iterations);
    }

    private static (bool Ok, CborContentError Error) Walk(byte[] input, CborConformanceMode mode, string context)
    {
        var reader = new CborReader(input, mode, allowMultipleRootLevelValues: false, MaxDepth);
        while (true)
        {
            int before = reader.BytesRemaining;
            int depthBefore = reader.CurrentDepth;
            try
            {
                if (!CborWalker.Step(reader))
                {
                    // Finished with bytes left over is the validator's TrailingData.
                    return reader.BytesRemaining == 0 ? (true, CborContentError.None) : (false, CborContentError.TrailingData);
                }
            }
            catch (CborContentException e)
            {
                Assert.True(before == reader.BytesRemaining, $"a failed read consumed bytes ({context})");
                Assert.True(depthBefore == reader.CurrentDepth, $"a failed read changed the depth ({context})");
                return (false, e.Error);
            }
            catch (InvalidOperationException)
            {
                Assert.True(before == reader.BytesRemaining, $"a failed read consumed bytes ({context})");
                return (false, CborContentError.None);
            }
            catch (Exception e)
            {
                Assert.Fail($"{e.GetType().Name} escaped the reader: {e.Message} ({context})");
            }
        }
    }

    private static void ConvertersThrowOnlyDocumentedExceptions(byte[] input, CborConformanceMode mode, string context)
    {
        try
        {
            JsonNode? node = CborJson.ToJsonNode(input, mode, MaxDepth);
            _ = node?.ToJsonString();
        }
        catch (CborContentException)
        {
        }
        catch (InvalidOperationException)
        {
        }
        catch (Exception e)
        {
            Assert.Fail($"CborJson: {e.GetType().Name} escaped: {e.Message} ({context})");
        }

        try
        {
            var reader = new CborReader(input, mode, allowMultipleRootLevelValues: false, MaxDepth);
            reader.SkipValue();
            _ = CborDiagnostic.ToDiagnosticString(input, mode);
        }
        catch (CborContentException)
        {
        }
        catch (InvalidOperationException)
        {
        }
        catch (Exception e)
        {
            Assert.Fail($"SkipValue/CborDiagnostic: {e.GetType().Name} escaped: {e.Message} ({context})");
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

        // Deeper documents, so mutations reach maps in arrays, tags in keys, strings in chunks.
        seeds.Add(DiagnosticParser.Encode("{\"temperature\": 21.5, \"humidity\": 40, \"on\": true, \"tags\": [\"a\", h'00ff', null]}"));
        seeds.Add(DiagnosticParser.Encode("[_ {_ 1: [_ 2, 3], -1: (_ \"ab\", \"c\")}, 1(1363896240), 2(h'0100000000000000000000'), {h'01': {}, [1]: 0.5}]"));
        seeds.Add(DiagnosticParser.Encode("{\"a\": {\"b\": {\"c\": {\"d\": [1, [2, [3, [4, [5]]]]]}}}, \"e\": -4.1, \"f\": simple(99), \"g\": undefined}"));
        seeds.Add(DiagnosticParser.Encode("{0: 1, 24: 2, 256: 3, 65536: 4, 4294967296: 5, -25: 6, \"\": 7, \"\\u00fc\": 8}"));
        return [.. seeds];
    }
}
