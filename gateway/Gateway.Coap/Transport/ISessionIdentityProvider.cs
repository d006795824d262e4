namespace Gateway.Coap.Transport;

/// <summary>
/// Implemented by a transport whose peers are authenticated by the transport itself (DTLS with a
/// pre-shared key or a client certificate): the endpoint asks it who the peer of each request is and
/// puts the answer on <see cref="Server.CoapRequest.SessionIdentity"/>. Never derived from the
/// message, so a request cannot claim an identity its session does not have.
/// </summary>
public interface ISessionIdentityProvider
{
    /// <summary>The authenticated identity of the session with this peer, or null (none, or no session).</summary>
    string? GetSessionIdentity(PeerAddress peer);
}
