using Microsoft.Extensions.Logging;

namespace Gateway.Coap.Transport.Dtls;

/// <summary>Log messages of the DTLS transport (event ids 15x). Never a key, token or PSK identity's key: only peers, identities' device names, reasons.</summary>
internal static partial class DtlsLog
{
    [LoggerMessage(150, LogLevel.Information, "DTLS server on {LocalEndPoint}: {Suites} (connection id {ConnectionIdLength} bytes)")]
    public static partial void Listening(ILogger logger, System.Net.EndPoint localEndPoint, string suites, int connectionIdLength);

    [LoggerMessage(151, LogLevel.Information, "DTLS session with {Peer} established: {Credential} {Device}, {CipherSuite}")]
    public static partial void Established(ILogger logger, string peer, string credential, string device, string cipherSuite);

    [LoggerMessage(152, LogLevel.Warning, "DTLS handshake with {Peer} failed: {Reason} ({Detail})")]
    public static partial void HandshakeFailed(ILogger logger, string peer, DtlsHandshakeFailure reason, string detail);

    [LoggerMessage(153, LogLevel.Debug, "DTLS session with {Peer} ended: {Why}")]
    public static partial void SessionEnded(ILogger logger, string peer, string why);

    [LoggerMessage(154, LogLevel.Warning, "DTLS {What} cap reached ({Cap}): evicted the session with {Peer}")]
    public static partial void Evicted(ILogger logger, string what, int cap, string peer);

    [LoggerMessage(155, LogLevel.Information, "DTLS session of {Device} moved from {From} to {To} (connection id, RFC 9146)")]
    public static partial void Rebound(ILogger logger, string device, string from, string to);

    [LoggerMessage(156, LogLevel.Error, "Unexpected error on a DTLS datagram from {Peer}; the receive loop continues")]
    public static partial void DatagramFailed(ILogger logger, Exception exception, string peer);

    [LoggerMessage(157, LogLevel.Information, "DTLS: {Count} more sessions established, not logged one by one (at most {PerSecond} a second are)")]
    public static partial void EstablishedHeldBack(ILogger logger, long count, int perSecond);

    [LoggerMessage(158, LogLevel.Warning, "DTLS: {Count} more handshakes failed, not logged one by one (at most {PerSecond} a second are; the statistics count them by reason)")]
    public static partial void FailuresHeldBack(ILogger logger, long count, int perSecond);
}
