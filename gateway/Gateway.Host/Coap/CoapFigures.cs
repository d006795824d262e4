using Gateway.Coap;

namespace Gateway.Host.Coap;

/// <summary>The endpoint's counters by name, as the status file and health telemetry show them.</summary>
public static class CoapFigures
{
    public static Dictionary<string, long> Of(CoapEndpoint endpoint)
    {
        var s = endpoint.Statistics;
        return new Dictionary<string, long>
        {
            ["datagrams"] = s.DatagramsReceived,
            ["requests"] = s.Requests,
            ["malformed"] = s.Malformed,
            ["ignored"] = s.Ignored,
            ["duplicates"] = s.Duplicates,
            ["unmatched"] = s.Unmatched,
            ["resetsSent"] = s.ResetsSent,
            ["badOptions"] = s.BadOptions,
            ["handlerErrors"] = s.HandlerErrors,
            ["separateResponses"] = s.SeparateResponses,
            ["retransmissions"] = endpoint.Retransmissions,
            ["pendingConfirmables"] = endpoint.PendingConfirmables,
        };
    }
}
