using Org.BouncyCastle.Tls;

namespace Gateway.Coap.Transport.Dtls;

/// <summary>Why a DTLS handshake failed, from what BouncyCastle threw and what the session saw, and a line for its log.</summary>
internal static class HandshakeFailureClassifier
{
    /// <summary>A handshake past its time: if the peer's PSK identity was known and it sent its Finished, its key differs.</summary>
    public static DtlsHandshakeFailure TimeoutReason(DtlsSession session) =>
        session.Server is { PskIdentityKnown: true } && session.SawEncryptedHandshakeRecord ? DtlsHandshakeFailure.BadKey : DtlsHandshakeFailure.Timeout;

    public static DtlsHandshakeFailure Classify(Exception e, GatewayTlsServer server, DtlsSession session)
    {
        if (server.Failure is { } failure) return failure;
        return e switch
        {
            TlsFatalAlertReceived => DtlsHandshakeFailure.PeerAlert,
            // A wrong PSK shows as silence: the peer's Finished fails its MAC and is discarded (RFC 6347 §4.1.2.7).
            TlsTimeoutException => TimeoutReason(session),
            TlsFatalAlert alert => alert.AlertDescription switch
            {
                AlertDescription.unknown_psk_identity => DtlsHandshakeFailure.UnknownIdentity,
                AlertDescription.handshake_failure or AlertDescription.insufficient_security or AlertDescription.protocol_version => DtlsHandshakeFailure.NoCommonParameters,
                AlertDescription.bad_certificate or AlertDescription.unsupported_certificate or AlertDescription.certificate_expired
                    or AlertDescription.certificate_unknown or AlertDescription.unknown_ca => DtlsHandshakeFailure.BadCertificate,
                AlertDescription.decrypt_error or AlertDescription.bad_record_mac when server.PskIdentityKnown => DtlsHandshakeFailure.BadKey,
                AlertDescription.decrypt_error when server.Credential == "certificate" => DtlsHandshakeFailure.BadCertificate,
                _ => DtlsHandshakeFailure.Protocol,
            },
            _ => DtlsHandshakeFailure.Protocol,
        };
    }

    public static string Detail(Exception e) => e switch
    {
        TlsFatalAlertReceived received => "peer sent " + AlertDescription.GetText(received.AlertDescription),
        TlsFatalAlert alert => "sent " + AlertDescription.GetText(alert.AlertDescription),
        TlsTimeoutException => "timed out",
        _ => e.GetType().Name,
    };
}
