using System.Text.Json.Nodes;
using Gateway.Devices.Exosite.Cbor;

namespace Gateway.Devices.Tests.Support;

/// <summary>Reads a CBOR answer of the Exosite API as a JSON-like value; an answer the mapping refuses fails the test.</summary>
public static class CborValue
{
    public static JsonNode? Decode(ReadOnlyMemory<byte> cbor)
    {
        Assert.True(CborJson.TryDecode(cbor, 64, out JsonNode? value, out CborJsonError error), $"the answer is not CBOR of JSON-like values: {error}");
        return value;
    }
}
