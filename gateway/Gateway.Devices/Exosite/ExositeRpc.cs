using System.Text.Json;
using System.Text.Json.Nodes;
using Gateway.Storage.Devices;
using Microsoft.Extensions.Logging;

namespace Gateway.Devices.Exosite;

/// <summary>
/// The JSON-RPC API behind <c>POST /rpc</c> (peers.md §A.1 RPC proxy, §A.3), answered from local
/// state. Envelope <c>{"auth":{"cik":C},"calls":[{"id","procedure","arguments"}]}</c>; response an array
/// of <c>{"id","status","result"?}</c> for calls that carry an id. Procedures a device needs (§A.3 last
/// paragraph): <c>read</c>, <c>write</c>, <c>writegroup</c>, <c>record</c>, <c>recordbatch</c>,
/// <c>info</c> (basic), <c>listing</c>; the resource-management ones answer the 501 error shape.
/// Resources are named by <c>{"alias":"name"}</c>; <c>{"alias":""}</c> is the device itself; a 40-hex RID
/// is not supported (the gateway has no RIDs) and answers 501 too.
/// </summary>
public sealed class ExositeRpc(ExositeDataports dataports, TimeProvider time, ILogger<ExositeRpc> logger)
{
    /// <summary>
    /// Runs the calls. A null answer means "authentication failed", and the failure says how to
    /// answer that (4.01, §A.1, or silence for a source over its failure limit).
    /// <paramref name="dedupKey"/> guards the first write of the request against retransmissions.
    /// </summary>
    public async ValueTask<(JsonNode? Answer, ExositeResult Failure)> ProcessAsync(JsonNode? body, string source, string? dedupKey,
        CancellationToken cancellationToken = default)
    {
        if (body is not JsonObject envelope) return (RequestError(400, "Malformed request", "calls"), ExositeResult.Unauthorized);
        string? cik = envelope["auth"] is JsonObject auth && auth["cik"] is JsonValue c && c.GetValueKind() == JsonValueKind.String ? c.GetValue<string>() : null;
        var authentication = await dataports.AuthenticateAsync(cik is null ? null : ExositeCik.Parse(System.Text.Encoding.UTF8.GetBytes(cik)), source, cancellationToken).ConfigureAwait(false);
        if (authentication.Device is not { } device) return (null, authentication.Failure);
        if (envelope["calls"] is not JsonArray calls || calls.Count > dataports.Options.MaxRpcCalls) return (RequestError(400, "Malformed request", "calls"), authentication.Failure);

        var results = new JsonArray();
        int index = 0;
        foreach (var node in calls)
        {
            index++;
            if (node is not JsonObject call || call["procedure"] is not JsonValue p || p.GetValueKind() != JsonValueKind.String)
                return (RequestError(400, "Malformed call", "calls"), authentication.Failure);
            var arguments = call["arguments"] as JsonArray ?? [];
            // One dedup key per call: a retransmitted request writes nothing twice, and two writes of one request are two rows.
            var key = dedupKey is null ? null : $"{dedupKey}#{index}";
            JsonObject answer;
            try
            {
                answer = await CallAsync(device, p.GetValue<string>(), arguments, key, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (e is InvalidOperationException or FormatException or ArgumentException or OverflowException)
            {
                answer = new JsonObject { ["status"] = "invalid" };
            }
            if (call["id"] is { } id)
            {
                answer.Insert(0, "id", id.DeepClone());
                results.Add((JsonNode)answer); // the node overload: Add<T> would need reflection
            }
        }
        return (results, authentication.Failure);
    }

    private async ValueTask<JsonObject> CallAsync(DeviceRecord device, string procedure, JsonArray arguments, string? key, CancellationToken cancellationToken)
    {
        switch (procedure)
        {
            case "read" when Alias(arguments, 0) is { Length: > 0 } alias:
                return await ReadAsync(device, alias, arguments.Count > 1 ? arguments[1] as JsonObject : null, cancellationToken).ConfigureAwait(false);
            case "write" when Alias(arguments, 0) is { Length: > 0 } alias && arguments.Count > 1:
                return Status(await dataports.WriteAsync(device, [(alias, ExositeValues.ToText(arguments[1]))], key, cancellationToken).ConfigureAwait(false));
            case "writegroup" when arguments.Count > 0 && arguments[0] is JsonArray group:
                var values = group.Select(pair => pair is JsonArray { Count: 2 } kv && Alias(kv, 0) is { Length: > 0 } a
                    ? (a, ExositeValues.ToText(kv[1])) : throw new FormatException("writegroup wants [[RID, value], …]")).ToList();
                return Status(await dataports.WriteAsync(device, values, key, cancellationToken).ConfigureAwait(false));
            case "record" or "recordbatch" when Alias(arguments, 0) is { Length: > 0 } alias && arguments.Count > 1 && arguments[1] is JsonArray points:
                var list = points.Select(point => point is JsonArray { Count: 2 } tv
                    ? (Long(tv[0]) ?? throw new FormatException("ts"), ExositeValues.ToText(tv[1])) : throw new FormatException("record wants [[ts, value], …]")).ToList();
                return Status(await dataports.RecordAsync(device, alias, list, key, cancellationToken).ConfigureAwait(false));
            case "info" when Alias(arguments, 0) is { } alias:
                return await InfoAsync(device, alias, cancellationToken).ConfigureAwait(false);
            case "listing" when Alias(arguments, 0) == "":
                // No RIDs here: dataports are listed by alias (the configured allow-list; empty when any alias goes).
                var dataportList = new JsonArray([.. dataports.Options.AllowedAliases.Order(StringComparer.Ordinal).Select(a => (JsonNode)a)]);
                return Ok(new JsonObject { ["client"] = new JsonArray(), ["dataport"] = dataportList, ["datarule"] = new JsonArray(), ["dispatch"] = new JsonArray() });
            default:
                ExositeLog.RpcUnsupported(logger, device.Name, procedure);
                return new JsonObject
                {
                    ["status"] = "error",
                    ["error"] = new JsonObject { ["code"] = 501, ["message"] = "Not Implemented", ["context"] = "procedure" },
                };
        }
    }

    /// <summary>§A.3 read: starttime=0, endtime=now, sort desc, limit=1; limit applies after sorting; result [[ts, value], …].</summary>
    private async ValueTask<JsonObject> ReadAsync(DeviceRecord device, string alias, JsonObject? options, CancellationToken cancellationToken)
    {
        if (!dataports.Options.MayAccess(alias)) return new JsonObject { ["status"] = "restricted" };
        long start = Long(options?["starttime"]) ?? 0;
        long end = Long(options?["endtime"]) ?? time.GetUtcNow().ToUnixTimeSeconds();
        long limit = Long(options?["limit"]) ?? 1;
        bool ascending = options?["sort"]?.GetValue<string>() switch { null or "desc" => false, "asc" => true, _ => throw new FormatException("sort") };
        var history = await dataports.HistoryAsync(device.Name, alias, dataports.Options.RpcReadHistory, cancellationToken).ConfigureAwait(false);
        var window = history.Where(v => v.At.ToUnixTimeSeconds() >= start && v.At.ToUnixTimeSeconds() <= end);
        if (ascending) window = window.Reverse();
        var result = new JsonArray([.. window.Take((int)Math.Clamp(limit, 0, int.MaxValue)).Select(v => (JsonNode)new JsonArray(v.At.ToUnixTimeSeconds(), ExositeValues.ToJson(v.Value)))]);
        return Ok(result);
    }

    /// <summary>§A.3 info, the <c>basic</c> part: modified, status, subscribers, type.</summary>
    private async ValueTask<JsonObject> InfoAsync(DeviceRecord device, string alias, CancellationToken cancellationToken)
    {
        long modified;
        string type;
        if (alias.Length == 0)
        {
            (modified, type) = (device.Created.ToUnixTimeSeconds(), "client");
        }
        else
        {
            if (!dataports.Options.MayAccess(alias)) return new JsonObject { ["status"] = "restricted" };
            var latest = await dataports.LatestAsync(device.Name, alias, cancellationToken).ConfigureAwait(false);
            if (latest is null) return new JsonObject { ["status"] = "invalid" };
            (modified, type) = (latest.At.ToUnixTimeSeconds(), "dataport");
        }
        return Ok(new JsonObject
        {
            ["basic"] = new JsonObject { ["modified"] = modified, ["status"] = "activated", ["subscribers"] = 0, ["type"] = type },
        });
    }

    private static string? Alias(JsonArray arguments, int index) =>
        arguments.Count > index && arguments[index] is JsonObject rid && rid["alias"] is JsonValue a && a.GetValueKind() == JsonValueKind.String ? a.GetValue<string>() : null;

    /// <summary>An integer argument whatever CLR type the CBOR/JSON conversion gave it; a non-integer is a FormatException (status "invalid").</summary>
    private static long? Long(JsonNode? node) =>
        node is null ? null : long.Parse(node.ToJsonString(), System.Globalization.NumberStyles.AllowLeadingSign, System.Globalization.CultureInfo.InvariantCulture);

    private static JsonObject Ok(JsonNode result) => new() { ["status"] = "ok", ["result"] = result };

    /// <summary>§A.3 per-call statuses: ok, or restricted (alias not accessible), invalid; a refused store is "error" (retry later).</summary>
    private static JsonObject Status(ExositeResult result) => new()
    {
        ["status"] = result.Status switch
        {
            ExositeStatus.Changed => "ok",
            ExositeStatus.Forbidden => "restricted",
            ExositeStatus.TooFast or ExositeStatus.BadRequest => "invalid",
            _ => "error",
        },
    };

    /// <summary>§A.3 whole-request failure: <c>{"error":{"code","message","context"}}</c>.</summary>
    public static JsonObject RequestError(int code, string message, string context) =>
        new() { ["error"] = new JsonObject { ["code"] = code, ["message"] = message, ["context"] = context } };
}
