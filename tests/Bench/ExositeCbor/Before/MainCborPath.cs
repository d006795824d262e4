// Not part of Bench: compiled by ExositeCbor/build-before against gateway/Gateway.Cbor as it was at a
// base commit (main before issue 14), so `Bench exosite-cbor --before` can run the old path in the same
// process as the new one. Each method is what the Exosite resources did with the old codec.
using System.Text.Json.Nodes;
using Gateway.Cbor;

namespace Gateway.Bench.Before;

public static class MainCborPath
{
    /// <summary>MultiDataportResource / RpcProxyResource before: validate, then convert a copy of the payload.</summary>
    public static JsonNode? Decode(ReadOnlyMemory<byte> payload, int maxDepth)
    {
        if (!CborReader.TryValidate(payload.Span, CborConformanceMode.Strict, maxDepth, out _)) return null;
        return CborJson.ToJsonNode(payload.ToArray(), CborConformanceMode.Strict, maxDepth);
    }

    public static byte[] Encode(JsonNode? answer) => CborJson.FromJsonNode(answer);
}
