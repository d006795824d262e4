using System.Text;
using System.Text.Json;
using Gateway.Bridge.Forwarding;

namespace Gateway.Bridge.Tests.Unit;

/// <summary>
/// The one-pass telemetry check (<see cref="RowValidator.TelemetryIsValid"/>) against the document-based
/// one it stands in front of: the same verdict on hand-picked corners and on a fixed-seed mutation of
/// valid payloads (byte flips, insertions, deletions, truncations).
/// </summary>
public sealed class TelemetryValidationTests
{
    private static readonly JsonDocumentOptions Options = new() { MaxDepth = 64 };

    private static bool ByDocument(byte[] json)
    {
        try
        {
            using var document = JsonDocument.Parse(json, Options);
            return RowValidator.Telemetry(document.RootElement) is null;
        }
        catch (JsonException)
        {
            return false;
        }
    }

    [Theory]
    [InlineData("[{\"ts\":1700000000000,\"values\":{\"t\":21.5}}]", true)]
    [InlineData("[{\"t\":21.5,\"h\":40}]", true)]
    [InlineData("  [ {\"t\":1} , {\"ts\":1,\"values\":{}} ]  ", true)]
    [InlineData("[{\"ts\":1}]", true)]                                    // "ts" alone is an ordinary key (§1.2)
    [InlineData("[{\"values\":5}]", true)]
    [InlineData("[{\"ts\":1.5,\"values\":{}}]", false)]
    [InlineData("[{\"ts\":1e3,\"values\":{}}]", false)]
    [InlineData("[{\"ts\":\"1\",\"values\":{}}]", false)]
    [InlineData("[{\"ts\":1,\"values\":[]}]", false)]
    [InlineData("[{\"ts\":1,\"values\":{},\"ts\":1.5}]", false)]        // the last "ts" is the one that counts
    [InlineData("[{\"ts\":1.5,\"values\":{},\"ts\":1}]", true)]
    [InlineData("[{\"t\\u0073\":1.5,\"values\":{}}]", false)]           // an escaped name is the same name
    [InlineData("[{\"ts\":99999999999999999999,\"values\":{}}]", false)] // beyond a 64-bit integer
    [InlineData("[]", false)]
    [InlineData("[1]", false)]
    [InlineData("[{}]", true)]
    [InlineData("{\"t\":1}", false)]
    [InlineData("[{\"t\":1}] x", false)]
    [InlineData("[{\"t\":1}]]", false)]
    [InlineData("[{\"t\":1},]", false)]
    [InlineData("[{\"t\":1}", false)]
    [InlineData("[{\"t\":1 /* c */}]", false)]
    [InlineData("", false)]
    public void Agrees_with_the_document_check(string json, bool valid)
    {
        var bytes = Encoding.UTF8.GetBytes(json);
        Assert.Equal(valid, ByDocument(bytes));
        Assert.Equal(valid, RowValidator.TelemetryIsValid(bytes));
    }

    [Fact]
    public void Nesting_beyond_64_levels_is_refused_as_by_the_document_check()
    {
        var deep = Encoding.UTF8.GetBytes("[{\"t\":" + new string('[', 63) + new string(']', 63) + "}]");
        var deeper = Encoding.UTF8.GetBytes("[{\"t\":" + new string('[', 64) + new string(']', 64) + "}]");
        Assert.Equal(ByDocument(deep), RowValidator.TelemetryIsValid(deep));
        Assert.False(ByDocument(deeper));
        Assert.False(RowValidator.TelemetryIsValid(deeper));
    }

    [Fact]
    public void Mutations_of_valid_payloads_get_the_same_verdict()
    {
        string[] seeds =
        [
            "[{\"ts\":1700000000000,\"values\":{\"temperature\":21.5,\"on\":true,\"s\":\"a\\\"b\"}}]",
            "[{\"t\":1,\"h\":[1,2,{\"x\":null}]},{\"ts\":2,\"values\":{\"ts\":3}}]",
            "[{\"values\":{\"a\":1},\"ts\":-5}]",
        ];
        var random = new Random(20261206);
        const string alphabet = "[]{}\":,.-+eE0123456789 tsvaluernfl\\u";
        int disagreements = 0, valid = 0;
        for (int i = 0; i < 20_000; i++)
        {
            var bytes = Encoding.UTF8.GetBytes(seeds[i % seeds.Length]).ToList();
            for (int edits = random.Next(1, 4); edits > 0 && bytes.Count > 0; edits--)
            {
                int at = random.Next(bytes.Count);
                switch (random.Next(4))
                {
                    case 0: bytes[at] = (byte)alphabet[random.Next(alphabet.Length)]; break;
                    case 1: bytes.Insert(at, (byte)alphabet[random.Next(alphabet.Length)]); break;
                    case 2: bytes.RemoveAt(at); break;
                    default: bytes.RemoveRange(at, bytes.Count - at); break;
                }
            }
            var json = bytes.ToArray();
            bool expected = ByDocument(json);
            if (expected) valid++;
            if (RowValidator.TelemetryIsValid(json) != expected) disagreements++;
        }
        Assert.Equal(0, disagreements);
        Assert.True(valid > 100, $"only {valid} mutants were valid: the corpus does not exercise the accepting path");
    }
}
