using System.Text.Json.Nodes;
using Gateway.Coap.Messages;
using Gateway.Coap.Server;
using Gateway.Devices.Exosite.Cbor;
using Gateway.Devices.Refusals;

namespace Gateway.Devices.Exosite;

/// <summary>
/// <c>POST /1a?&lt;CIK&gt;&amp;&lt;alias r1&gt;…</c> (peers.md §A.1 multiple read and write): the first
/// Uri-Query is the CIK (text or 20 raw bytes), the others name dataports to read; the CBOR map body
/// (<c>{"alias": "value"}</c>) is written first, at one timestamp; the answer is 2.05 with a CBOR map of
/// the read aliases that have a value (the HTTP twin leaves unknown aliases out, §A.4). An empty body
/// writes nothing.
/// </summary>
internal sealed class MultiDataportResource(ExositeDataports dataports) : CoapResource("1a")
{
    protected override ValueTask<CoapResponse> PostAsync(CoapRequest request, CancellationToken cancellationToken)
    {
        var options = dataports.Options;
        var cik = ExositeCik.FromQuery(request.Options);
        var reads = request.Query.Skip(1).ToList();
        List<(string, string)> writes = [];
        string? invalid = null;
        if (!request.Payload.IsEmpty)
        {
            // Depth 8: the body is one map of alias to value; a structured value is written as its JSON text.
            if (!CborJson.TryDecode(request.Payload, 8, out var body, out var error))
            {
                invalid = $"The body is not CBOR of JSON-like values ({error}).";
            }
            else if (body is JsonObject map)
            {
                foreach (var (alias, value) in map) writes.Add((alias, ExositeValues.ToText(value)));
            }
            else
            {
                invalid = "The body must be a CBOR map of alias to value.";
            }
        }
        return HandleAsync(cik, ExositeCoap.Source(request), ExositeCoap.DedupKey(request), reads, writes, invalid, cancellationToken);
    }

    private async ValueTask<CoapResponse> HandleAsync(string? cik, string source, string dedupKey, List<string> reads, List<(string, string)> writes, string? invalid,
        CancellationToken cancellationToken)
    {
        var options = dataports.Options;
        var auth = await dataports.AuthenticateAsync(cik, source, cancellationToken).ConfigureAwait(false);
        if (auth.Device is not { } device) return ExositeCoap.ToCoap(auth.Failure, options);
        if (invalid is not null) return Refused(ExositeResult.Invalid(invalid), source, RefusalKind.MalformedCbor);
        if (reads.Any(a => !options.MayAccess(a))) return Refused(ExositeResult.Forbidden, source);
        if (writes.Count > 0)
        {
            var written = await dataports.WriteAsync(device, writes, dedupKey, cancellationToken).ConfigureAwait(false);
            if (written.Status != ExositeStatus.Changed) return Refused(written, source);
        }
        var answer = new JsonObject();
        foreach (var alias in reads.Distinct(StringComparer.Ordinal))
        {
            if (await dataports.LatestAsync(device.Name, alias, cancellationToken).ConfigureAwait(false) is { } latest) answer[alias] = latest.Value;
        }
        return CoapResponse.WithFormat(CoapCode.Content, CborJson.Encode(answer), CoapContentFormat.Cbor);
    }

    private CoapResponse Refused(ExositeResult result, string source, RefusalKind malformed = RefusalKind.InvalidRequest)
    {
        dataports.CountRefusal(result, source, malformed);
        return ExositeCoap.ToCoap(result, dataports.Options);
    }
}
