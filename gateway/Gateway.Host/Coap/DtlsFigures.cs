using Gateway.Coap.Transport.Dtls;
using Gateway.Host.Metrics;

namespace Gateway.Host.Coap;

/// <summary>The DTLS transport's counters by name, as the status file shows them (<c>handshakesFailed.&lt;reason&gt;</c> per reason).</summary>
public static class DtlsFigures
{
    public static Dictionary<string, long> Of(DtlsServerTransport dtls)
    {
        ArgumentNullException.ThrowIfNull(dtls);
        var s = dtls.Statistics;
        var figures = new Dictionary<string, long>
        {
            ["sessions"] = s.Sessions,
            ["handshaking"] = s.Handshaking,
            ["handshakesOk"] = s.HandshakesCompleted,
            ["handshakesFailed"] = s.HandshakesFailedTotal,
            ["cookiesSent"] = s.CookiesSent,
            ["recordsMalformed"] = s.RecordsMalformed,
            ["recordsWithoutSession"] = s.RecordsWithoutSession,
            ["recordsDiscarded"] = s.RecordsDiscarded,
            ["queueFull"] = s.RecordsQueueFull,
            ["sessionsExpired"] = s.SessionsExpired,
            ["sessionsEvicted"] = s.SessionsEvicted,
            ["sessionsClosed"] = s.SessionsClosed,
            ["rebinds"] = s.Rebinds,
        };
        foreach (var reason in Enum.GetValues<DtlsHandshakeFailure>()) figures["handshakesFailed." + Names.Snake(reason.ToString())] = s.HandshakesFailed(reason);
        return figures;
    }
}
