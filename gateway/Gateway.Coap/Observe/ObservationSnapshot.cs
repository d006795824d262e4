using Gateway.Coap.Transport;

namespace Gateway.Coap.Observe;

/// <summary>
/// The persistent part of one observe relation, for the host to store (e.g. in an observation
/// store) and give back to <see cref="CoapEndpoint.RestoreObservationAsync"/> after a restart, so
/// observers survive it (libcoap's persistence idea; RFC 7641 itself keeps relations in memory).
/// </summary>
/// <param name="Peer">The observer's address.</param>
/// <param name="Token">The registration's token (notifications carry it, RFC 7641 §3.2).</param>
/// <param name="Path">Uri-Path segments of the registration.</param>
/// <param name="Query">Uri-Query arguments of the registration.</param>
/// <param name="Identity">The observer identity the resource gave (e.g. the device), or null.</param>
/// <param name="Accept">The registration's Accept option (content format asked for), or null.</param>
/// <param name="LastSequence">The last Observe value sent; a restored relation continues above it.</param>
/// <param name="Confirmable">Whether the registration was Confirmable (notifications follow its type).</param>
/// <param name="State">What the resource needs to restore the relation in place of what it left out (e.g. a
/// device name instead of the credential in the path); handed back as <see cref="Server.CoapRequest.RestoredState"/>.</param>
public sealed record ObservationSnapshot(PeerAddress Peer, byte[] Token, IReadOnlyList<string> Path, IReadOnlyList<string> Query,
    string? Identity, int? Accept, uint LastSequence, bool Confirmable, string? State = null)
{
    public string Target => "/" + string.Join('/', Path) + (Query.Count > 0 ? "?" + string.Join('&', Query) : "");
}
