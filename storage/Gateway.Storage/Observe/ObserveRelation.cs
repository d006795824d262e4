namespace Gateway.Storage.Observe;

/// <summary>A persisted CoAP Observe registration (RFC 7641), restored after a restart so devices keep getting notifications.</summary>
/// <param name="Peer">Peer identity the notifications go to ("ip:port" or DTLS identity).</param>
/// <param name="Token">The registration's token.</param>
/// <param name="Resource">Observed resource path, e.g. "api/v1/{token}/rpc" with the credential left out by the caller.</param>
/// <param name="Device">Device the relation belongs to, if authenticated (what the resource restores it from).</param>
/// <param name="ContentFormat">Accepted Content-Format for notifications (-1: none asked for).</param>
/// <param name="LastSequence">Last Observe option value sent (the next must be greater, RFC 7641 §4.4).</param>
/// <param name="Confirmable">Whether the registration was Confirmable (notifications follow its type).</param>
public sealed record ObserveRelation(string Peer, byte[] Token, string Resource, string? Device, int ContentFormat, int LastSequence, bool Confirmable = true);
