using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Gateway.Devices.Exosite.Cbor;

namespace Gateway.Devices.Tests.Exosite.Cbor;

/// <summary>
/// The mapping against python3-cbor2, an independent implementation, run with Debian's /usr/bin/python3
/// (the pyenv python3 on PATH does not see the apt package). Missing cbor2 fails loudly: tests/run installs it.
/// </summary>
public class Cbor2InteropTests
{
    private const string Python = "/usr/bin/python3";
    private static readonly string Script = Path.Combine(AppContext.BaseDirectory, "Exosite", "Cbor", "cbor2_bridge.py");

    [Fact]
    public void Cbor2Writes_TheMappingDecodes_SameValues_BothEncodings()
    {
        string[] lines = RunBridge(["generate", "8949", "1500", "0"], "");
        Assert.Equal(1500, lines.Length);
        foreach (string line in lines)
        {
            string[] parts = line.Split('\t');
            Assert.True(parts[2] == DumpOf(parts[0]), $"cbor2 default {parts[0]}");
            Assert.True(parts[2] == DumpOf(parts[1]), $"cbor2 canonical {parts[1]}");
        }
    }

    [Fact]
    public void TheMappingEncodes_Cbor2Decodes_SameValues()
    {
        string[] generated = RunBridge(["generate", "6092", "1500", "0"], "");
        var ours = generated.Select(l => Convert.ToHexStringLower(CborJson.Encode(Decoded(l.Split('\t')[0])))).ToList();
        string[] decoded = RunBridge(["decode"], string.Join("\n", ours));
        Assert.Equal(generated.Length, decoded.Length);
        for (int i = 0; i < generated.Length; i++)
        {
            // Byte strings came in as base64url text and go out as text: cbor2 sees the mapped value.
            Assert.True(generated[i].Split('\t')[2] == decoded[i].Split('\t')[0], $"doc {i}: we wrote {ours[i]}");
        }
    }

    [Fact]
    public void WithoutMaps_TheMappingReencodes_ByteIdenticalToCbor2Canonical()
    {
        // Without maps the key-order rules (cbor2 canonical sorts keys; the mapping keeps object order)
        // do not apply, so preferred serialization (RFC 8949 §4.1) must match cbor2's canonical output.
        string[] lines = RunBridge(["generate", "4221", "1000", "1"], "");
        foreach (string line in lines)
        {
            string[] parts = line.Split('\t');
            Assert.Equal(parts[1], Convert.ToHexStringLower(CborJson.Encode(Decoded(parts[0]))));
        }
    }

    [Fact]
    public void Cbor2_KnownDeviation_LargeHalvesWrittenAsSingles()
    {
        // Pinned so a cbor2 upgrade that fixes it is noticed (and the workaround in the bridge removed):
        // RFC 8949 Appendix A encodes 65504.0 as f97bff; cbor2 5.4.6 canonical writes fa477fe000.
        Assert.Equal(["fa477fe000", "f93e00"], RunBridge(["encode-canonical"], "65504.0\n1.5\n"));
        Assert.Equal("f97bff", Convert.ToHexStringLower(CborJson.Encode(65504.0)));
    }

    private static JsonNode? Decoded(string hex)
    {
        Assert.True(CborJson.TryDecode(Convert.FromHexString(hex), 64, out JsonNode? value, out CborJsonError error), $"{error}: {hex}");
        return value;
    }

    private static string DumpOf(string hex) => Dump(Decoded(hex));

    /// <summary>The bridge's dump of a mapped value (see cbor2_bridge.py).</summary>
    private static string Dump(JsonNode? node) => node switch
    {
        null => "N",
        JsonArray array => "[" + string.Join(",", array.Select(Dump)) + "]",
        JsonObject obj => "{" + string.Join(",", obj.Select(m => Text(m.Key) + "=" + Dump(m.Value)).Order(StringComparer.Ordinal)) + "}",
        JsonValue value when value.TryGetValue(out double d) => "f:" + BitConverter.DoubleToUInt64Bits(d).ToString("x16", CultureInfo.InvariantCulture),
        JsonValue value when value.TryGetValue(out string? s) => Text(s),
        JsonValue value when value.TryGetValue(out bool b) => b ? "T" : "F",
        JsonValue value when value.GetValueKind() == JsonValueKind.Number => "i:" + value.ToJsonString(),
        _ => throw new InvalidOperationException($"not a mapped value: {node.ToJsonString()}"),
    };

    private static string Text(string s) => "t:" + Convert.ToHexStringLower(Encoding.UTF8.GetBytes(s));

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
