using System.Text.Json;
using System.Text.Json.Nodes;
using Gateway.Coap.Messages;
using Gateway.Coap.Server;
using Gateway.Devices.Exosite.Cbor;
using Gateway.Devices.Refusals;

namespace Gateway.Devices.Exosite;

/// <summary>
/// <c>POST /rpc</c> (peers.md §A.1 RPC proxy): a CBOR body that maps 1:1 to the JSON-RPC body (§A.3),
/// answered in CBOR (Content-Format 60), or in JSON when the request's Accept is application/json; a JSON
/// body (Content-Format 50) is accepted too. Long answers go block-wise (the endpoint slices them;
/// CoAPExample re-sends every block with Message ID 0x37, which the endpoint tells apart by Block2, §A.2).
/// Unknown CIK → 4.01 (§A.1); a body that is neither → 4.00.
/// </summary>
internal sealed class RpcProxyResource(ExositeRpc rpc, ExositeOptions options, RefusalLog? refusals) : CoapResource("rpc")
{
    // The envelope (§A.3) nests five deep at most ({calls:[{arguments:[[[ts, v]]]}]}); 16 leaves room and bounds the work.
    private const int MaxDepth = 16;

    protected override ValueTask<CoapResponse> PostAsync(CoapRequest request, CancellationToken cancellationToken)
    {
        JsonNode? body;
        try
        {
            if (request.ContentFormat == CoapContentFormat.Json)
            {
                // RFC 8259 §8.1: strings with invalid UTF-8 pass the parser and throw when read later.
                if (!System.Text.Unicode.Utf8.IsValid(request.Payload.Span)) return new(Malformed(request, RefusalKind.MalformedJson, "The body is not valid UTF-8 JSON."));
                body = JsonNode.Parse(request.Payload.Span, documentOptions: new JsonDocumentOptions { MaxDepth = MaxDepth });
            }
            else if (!CborJson.TryDecode(request.Payload, MaxDepth, out body, out var error))
            {
                return new(Malformed(request, RefusalKind.MalformedCbor, $"The body is not CBOR of JSON-like values ({error})."));
            }
        }
        catch (JsonException)
        {
            return new(Malformed(request, RefusalKind.MalformedJson, "The body is not valid JSON."));
        }
        bool json = request.Accept == CoapContentFormat.Json;
        return AnswerAsync(body, ExositeCoap.Source(request), ExositeCoap.DedupKey(request), json, cancellationToken);
    }

    private async ValueTask<CoapResponse> AnswerAsync(JsonNode? body, string source, string dedupKey, bool json, CancellationToken cancellationToken)
    {
        var (answer, failure) = await rpc.ProcessAsync(body, source, dedupKey, cancellationToken).ConfigureAwait(false);
        if (answer is null) return ExositeCoap.ToCoap(failure, options);
        return json
            ? CoapResponse.WithFormat(CoapCode.Content, Gateway.Domain.JsonBytes.Of(answer), CoapContentFormat.Json)
            : CoapResponse.WithFormat(CoapCode.Content, CborJson.Encode(answer), CoapContentFormat.Cbor);
    }

    /// <summary>4.00 for a body that is not what its Content-Format says, counted as refused (the CIK is inside the body, unread).</summary>
    private CoapResponse Malformed(CoapRequest request, RefusalKind reason, string diagnostic)
    {
        refusals?.Report(reason, ExositeCoap.Source(request));
        return ExositeCoap.ToCoap(ExositeResult.Invalid(diagnostic), options);
    }
}
