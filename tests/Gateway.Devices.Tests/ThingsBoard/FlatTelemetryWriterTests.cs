using System.Text;
using Gateway.Devices.ThingsBoard;

namespace Gateway.Devices.Tests.ThingsBoard;

/// <summary>
/// The allocation-free writer of flat telemetry objects must give byte for byte the row the full
/// parser gives (thingsboard.md §1.1 typing), or decline; it may never accept what the parser refuses.
/// </summary>
public sealed class FlatTelemetryWriterTests
{
    private const long ServerTs = 1_700_000_000_000;

    private static string? Fast(byte[] payload)
    {
        var row = new byte[FlatTelemetryWriter.MaxRowLength(payload.Length)];
        return FlatTelemetryWriter.TryWrite(payload, ServerTs, row, out int written) ? Encoding.UTF8.GetString(row, 0, written) : null;
    }

    /// <summary>The full parser's row, or null when it refuses the payload or leaves no row (no values).</summary>
    private static string? Full(byte[] payload)
    {
        try
        {
            var records = TelemetryParser.Parse(payload, ServerTs);
            records.RemoveAll(r => r.Values.Count == 0);
            return records.Count == 0 ? null : Encoding.UTF8.GetString(TelemetryParser.ToOutboxPayload(records));
        }
        catch (PayloadException)
        {
            return null;
        }
    }

    [Theory]
    [InlineData("""{"temperature":21.5}""", """[{"ts":1700000000000,"values":{"temperature":21.5}}]""")]
    [InlineData("""{"a":1,"b":-0,"c":21.50,"d":true,"e":false,"f":42.0,"g":-0.0} """, """[{"ts":1700000000000,"values":{"a":1,"b":0,"c":21.5,"d":true,"e":false,"f":42.0,"g":-0.0}}]""")]
    [InlineData("""{"x":0.0000001,"y":9223372036854775807,} /* trailing */""", """[{"ts":1700000000000,"values":{"x":1E-07,"y":9223372036854775807}}]""")]
    [InlineData("""{"<&'+`>":1}""", """[{"ts":1700000000000,"values":{"<&'+`>":1}}]""")]
    public void FlatObject_IsWrittenAsTheParserWritesIt(string payload, string expected)
    {
        var bytes = Encoding.UTF8.GetBytes(payload);
        Assert.Equal(expected, Fast(bytes));
        Assert.Equal(Full(bytes), Fast(bytes));
    }

    [Theory]
    [InlineData("""{"s":"text"}""")]              // strings: cast rules of §1.1 stay with the parser
    [InlineData("""{"n":{"x":1}}""")]             // nested
    [InlineData("""[{"a":1}]""")]                 // array form
    [InlineData("""{"a":1,"a":2}""")]             // repeated key
    [InlineData("""{"a":null}""")]                // skipped value
    [InlineData("""{"\u0061":1}""")]              // escaped key
    [InlineData("""{"é":1}""")]                   // non-ASCII key
    [InlineData("""{"a":1e5}""")]                 // exponent
    [InlineData("""{"a":12345678901234567890}""")] // beyond int64: STRING
    [InlineData("""{"a":0.12345678901234567}""")] // scale 17: STRING
    [InlineData("""{}""")]                        // no values, no row
    [InlineData("""{"a":1} x""")]                 // trailing garbage
    [InlineData("""{"a":1""")]                    // truncated
    [InlineData("")]
    public void AnythingElse_IsDeclined(string payload) => Assert.Null(Fast(Encoding.UTF8.GetBytes(payload)));

    [Fact]
    public void InvalidUtf8_IsDeclined() => Assert.Null(Fast([(byte)'{', (byte)'"', 0xC3, (byte)'"', (byte)':', (byte)'1', (byte)'}']));

    /// <summary>
    /// Fixed-seed generation and mutation: flat objects of random keys and numbers, then the same bytes
    /// with one byte changed, dropped or inserted. Whatever the writer accepts, the parser turns into the same row.
    /// </summary>
    [Fact]
    public void GeneratedAndMutatedPayloads_AgreeWithTheParser()
    {
        var random = new Random(2126);
        const string KeyChars = "abcxyzABC019_-. <>&'+`$";
        const string Inserted = "{}[]\",:.-0e";
        string[] numbers = ["0", "-0", "1", "-1", "42", "21.5", "21.50", "0.1", "-0.0", "1.0", "123456789.123456789", "0.0000001",
            "9223372036854775807", "-9223372036854775808", "9223372036854775808", "1e3", "1.5E-3", "0.1234567890123456", "0.12345678901234567",
            "99999999999999999999.5", "3.14159", "true", "false", "null", "\"s\"", "{}", "[1]"];
        int accepted = 0;
        for (int i = 0; i < 4000; i++)
        {
            var json = new StringBuilder("{");
            int members = random.Next(0, 6);
            for (int m = 0; m < members; m++)
            {
                if (m > 0) json.Append(',');
                json.Append('"');
                for (int c = random.Next(1, 6); c > 0; c--) json.Append(KeyChars[random.Next(KeyChars.Length)]);
                json.Append("\":").Append(numbers[random.Next(numbers.Length)]);
            }
            json.Append('}');
            var payload = Encoding.UTF8.GetBytes(json.ToString());
            if (i % 2 == 1 && payload.Length > 1)
            {
                int at = random.Next(payload.Length);
                payload = random.Next(3) switch
                {
                    0 => [.. payload[..at], (byte)random.Next(256), .. payload[(at + 1)..]],
                    1 => [.. payload[..at], .. payload[(at + 1)..]],
                    _ => [.. payload[..at], (byte)Inserted[random.Next(Inserted.Length)], .. payload[at..]],
                };
            }
            if (Fast(payload) is not { } fast) continue;
            accepted++;
            Assert.Equal(Full(payload), fast);
        }
        // The generator reaches the writer's form often enough for the comparison to mean something.
        Assert.True(accepted > 500, $"only {accepted} payloads accepted");
    }

    [Fact]
    public void Writing_AllocatesNothing()
    {
        var payload = """{"temperature":21.5,"humidity":40,"door":false}"""u8.ToArray();
        var row = new byte[FlatTelemetryWriter.MaxRowLength(payload.Length)];
        Assert.True(FlatTelemetryWriter.TryWrite(payload, ServerTs, row, out _));
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 1000; i++) FlatTelemetryWriter.TryWrite(payload, ServerTs + i, row, out _);
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }
}
