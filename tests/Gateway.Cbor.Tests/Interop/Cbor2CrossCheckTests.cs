using System.Diagnostics;
using Gateway.Cbor.Tests.Support;

namespace Gateway.Cbor.Tests.Interop;

/// <summary>
/// Cross-checks against python3-cbor2, an independent implementation, run with Debian's /usr/bin/python3
/// (the pyenv python3 on PATH does not see the apt package). Missing cbor2 fails loudly: tests/run installs it.
/// </summary>
public class Cbor2CrossCheckTests
{
    private const string Python = "/usr/bin/python3";
    private static readonly string Script = Path.Combine(AppContext.BaseDirectory, "Interop", "cbor2_bridge.py");

    [Fact]
    public void OurWriter_Cbor2Decodes_SameValues_AndItsReencodingReadsBack()
    {
        var random = new Random(2024);
        var docs = new List<(byte[] Cbor, string Dump)>();
        for (int i = 0; i < 1500; i++) docs.Add(RandomDocument.Create(random));

        string[] lines = RunBridge(["decode"], string.Join("\n", docs.Select(d => Convert.ToHexStringLower(d.Cbor))));
        Assert.Equal(docs.Count, lines.Length);
        for (int i = 0; i < docs.Count; i++)
        {
            string[] parts = lines[i].Split('\t');
            string context = $"doc {i}: {Convert.ToHexStringLower(docs[i].Cbor)}";
            Assert.True(docs[i].Dump == parts[0], $"cbor2 decoded {parts[0]}, we meant {docs[i].Dump} ({context})");
            Assert.True(docs[i].Dump == TypedDump.Of(docs[i].Cbor), $"our reader disagrees ({context})");
            Assert.True(docs[i].Dump == TypedDump.Of(Convert.FromHexString(parts[1])), $"cbor2's canonical form reads differently ({context})");
        }
    }

    [Fact]
    public void OurWriter_WithoutMaps_IsByteIdenticalToCbor2Canonical()
    {
        // Without maps the key-order rules (cbor2: RFC 7049 length-first; ours: RFC 8949 bytewise) do not
        // apply, so preferred serialization must match cbor2's canonical output byte for byte.
        var random = new Random(7049);
        var docs = new List<byte[]>();
        for (int i = 0; i < 1000; i++) docs.Add(RandomDocument.Create(random, maps: false, CborConformanceMode.Canonical, avoidLargeHalves: true).Cbor);
        string[] lines = RunBridge(["decode"], string.Join("\n", docs.Select(Convert.ToHexStringLower)));
        for (int i = 0; i < docs.Count; i++)
        {
            Assert.Equal(lines[i].Split('\t')[1], Convert.ToHexStringLower(docs[i]));
        }
    }

    [Fact]
    public void Cbor2Writes_OurReaderDecodes_SameValues()
    {
        string[] lines = RunBridge(["generate", "8949", "1500", "0"], "");
        Assert.Equal(1500, lines.Length);
        foreach (string line in lines)
        {
            string[] parts = line.Split('\t');
            byte[] plain = Convert.FromHexString(parts[0]);
            byte[] canonical = Convert.FromHexString(parts[1]);
            Assert.True(parts[2] == TypedDump.Of(plain), $"plain {parts[0]}");
            Assert.True(parts[2] == TypedDump.Of(canonical), $"canonical {parts[1]}");
            Assert.True(CborReader.TryValidate(plain, CborConformanceMode.Strict, 64, out CborContentError error), $"{error}: {parts[0]}");
        }
    }

    [Fact]
    public void Cbor2Canonical_WithoutMaps_OurTranscodingIsIdentical_AndCanonicalReaderAccepts()
    {
        string[] lines = RunBridge(["generate", "4221", "1000", "1"], "");
        foreach (string line in lines)
        {
            string[] parts = line.Split('\t');
            byte[] canonical = Convert.FromHexString(parts[1]);
            Assert.True(CborReader.TryValidate(canonical, CborConformanceMode.Canonical, 64, out CborContentError error), $"{error}: {parts[1]}");

            // Re-encode the cbor2 default form (floats always as doubles) through our reader and writer.
            var reader = new CborReader(Convert.FromHexString(parts[0]));
            var writer = new CborWriter(CborConformanceMode.Canonical);
            Transcode(reader, writer);
            Assert.Equal(parts[1], Convert.ToHexStringLower(writer.Encode()));
        }
    }

    [Fact]
    public void Cbor2_KnownDeviation_LargeHalvesWrittenAsSingles()
    {
        // Pinned so a cbor2 upgrade that fixes it is noticed (and the workaround in the bridge removed):
        // RFC 8949 Appendix A encodes 65504.0 as f97bff; cbor2 5.4.6 canonical writes fa477fe000.
        string[] lines = RunBridge(["encode-canonical"], "65504.0\n1.5\n");
        Assert.Equal(["fa477fe000", "f93e00"], lines);
        var writer = new CborWriter();
        writer.WriteDouble(65504.0);
        Assert.Equal("f97bff", Convert.ToHexStringLower(writer.Encode()));
    }

    private static void Transcode(CborReader reader, CborWriter writer)
    {
        switch (reader.PeekState())
        {
            case CborReaderState.UnsignedInteger:
            case CborReaderState.NegativeInteger:
                writer.WriteBigInteger(reader.ReadBigInteger());
                break;
            case CborReaderState.Tag:
                if (reader.PeekTag() is CborTag.UnsignedBigNum or CborTag.NegativeBigNum)
                {
                    writer.WriteBigInteger(reader.ReadBigInteger());
                    break;
                }

                writer.WriteTag(reader.ReadTag());
                Transcode(reader, writer);
                break;
            case CborReaderState.ByteString: writer.WriteByteString(reader.ReadByteString()); break;
            case CborReaderState.TextString: writer.WriteTextString(reader.ReadTextString()); break;
            case CborReaderState.StartArray:
                int count = reader.ReadStartArray()!.Value;
                writer.WriteStartArray(count);
                for (int i = 0; i < count; i++) Transcode(reader, writer);
                reader.ReadEndArray();
                writer.WriteEndArray();
                break;
            case CborReaderState.HalfPrecisionFloat:
            case CborReaderState.SinglePrecisionFloat:
            case CborReaderState.DoublePrecisionFloat:
                writer.WriteDouble(reader.ReadDouble());
                break;
            case CborReaderState.Boolean: writer.WriteBoolean(reader.ReadBoolean()); break;
            case CborReaderState.Null: reader.ReadNull(); writer.WriteNull(); break;
            default: writer.WriteSimpleValue(reader.ReadSimpleValue()); break;
        }
    }

    private static string[] RunBridge(string[] args, string input)
    {
        RequireCbor2();
        var start = new ProcessStartInfo(Python) { RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(Script);
        foreach (string a in args) start.ArgumentList.Add(a);
        using Process process = Process.Start(start)!;
        Task<string> stdout = process.StandardOutput.ReadToEndAsync();
        Task<string> stderr = process.StandardError.ReadToEndAsync();
        process.StandardInput.Write(input);
        process.StandardInput.Close();
        Assert.True(process.WaitForExit(120_000), "cbor2 bridge timed out");
        Assert.True(process.ExitCode == 0, $"cbor2 bridge failed: {stderr.Result}");
        return stdout.Result.Split('\n', StringSplitOptions.RemoveEmptyEntries);
    }

    private static void RequireCbor2()
    {
        if (!File.Exists(Python))
        {
            Assert.Fail($"{Python} is missing; the CBOR cross-checks need Debian's python3 with python3-cbor2 (tests/run installs it).");
        }

        using Process check = Process.Start(new ProcessStartInfo(Python, ["-c", "import cbor2"]) { RedirectStandardError = true })!;
        check.StandardError.ReadToEnd();
        check.WaitForExit();
        if (check.ExitCode != 0)
        {
            Assert.Fail($"python3-cbor2 is not installed for {Python}: run `apt-get install python3-cbor2` (tests/run installs it). These cross-checks must not pass silently.");
        }
    }
}
