namespace Gateway.Coap.Transport.Dtls;

/// <summary>Why a handshake failed, as counted in <c>/metrics</c> and <c>status</c>.</summary>
public enum DtlsHandshakeFailure
{
    /// <summary>No message for too long, or not finished within the handshake timeout.</summary>
    Timeout,
    /// <summary>A PSK identity no device has (alert unknown_psk_identity, RFC 4279 §2).</summary>
    UnknownIdentity,
    /// <summary>The identity is known but the peer's Finished did not verify: the peer holds another key.</summary>
    BadKey,
    /// <summary>A client certificate that is expired, not yet valid, badly signed or malformed.</summary>
    BadCertificate,
    /// <summary>A well-formed client certificate that stands for no device.</summary>
    UnknownCertificate,
    /// <summary>No cipher suite, version or group in common.</summary>
    NoCommonParameters,
    /// <summary>The peer aborted with an alert of its own (e.g. it does not trust our certificate).</summary>
    PeerAlert,
    /// <summary>Evicted by a newer handshake when <see cref="DtlsServerOptions.MaxHandshakes"/> were under way.</summary>
    Evicted,
    /// <summary>Any other protocol error (malformed or unexpected handshake message).</summary>
    Protocol,
}
