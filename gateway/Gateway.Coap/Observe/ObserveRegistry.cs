using System.Buffers.Binary;
using Gateway.Coap.Transport;

namespace Gateway.Coap.Observe;

/// <summary>
/// The endpoint's list of observers (RFC 7641 §4.1), indexed the ways the protocol needs:
/// by (peer, token) — the relation's identity in the RFC; by (peer, resource, target) — one
/// relation per observer and target, so a new token replaces the old; by (resource, target,
/// identity) — a device that comes back from a new NAT port replaces its orphan; and in least
/// recently active order for the caps. Not thread-safe: guarded by the endpoint's gate. The one owner
/// of every relation: the resources' lists (<see cref="ObservableResource.Relations"/>) are changed
/// here, under that gate, and nowhere else.
/// </summary>
internal sealed class ObserveRegistry
{
    private readonly Dictionary<(PeerAddress Peer, ulong Token, int Length), ObserveRelation> _byToken = [];
    private readonly Dictionary<PeerAddress, ObserverPeer> _byPeer = [];
    private readonly Dictionary<(ObservableResource Resource, string Identity), ObserveRelation> _byIdentity = [];
    private readonly LinkedList<ObserveRelation> _lru = [];

    public int Count => _byToken.Count;

    public IEnumerable<ObserveRelation> All => _lru;

    public ObserveRelation? Find(PeerAddress peer, ReadOnlySpan<byte> token) => _byToken.GetValueOrDefault(Key(peer, token));

    public ObserveRelation? FindSameTarget(PeerAddress peer, ObservableResource resource, string target)
    {
        if (!_byPeer.TryGetValue(peer, out var observer)) return null;
        int hash = ObserveRelation.TargetHash(target);
        foreach (var relation in observer.Relations) if (relation.Resource == resource && relation.HasTarget(target, hash)) return relation;
        return null;
    }

    public ObserveRelation? FindIdentity(ObservableResource resource, string identity) =>
        _byIdentity.GetValueOrDefault((resource, identity));

    /// <summary>A NON notification answered with RST is matched by its Message ID (RFC 7641 §3.6).</summary>
    public ObserveRelation? FindByNonMessageId(PeerAddress peer, ushort messageId)
    {
        if (!_byPeer.TryGetValue(peer, out var observer)) return null;
        foreach (var relation in observer.Relations) if (relation.HasNonMessageId && relation.LastNonMessageId == messageId) return relation;
        return null;
    }

    public int CountOf(PeerAddress peer) => _byPeer.TryGetValue(peer, out var observer) ? observer.Relations.Count : 0;

    /// <summary>The peer's least recently active relation: its list is kept in that order, like the registry's.</summary>
    public ObserveRelation? OldestOf(PeerAddress peer) =>
        _byPeer.TryGetValue(peer, out var observer) && observer.Relations.Count > 0 ? observer.Relations[0] : null;

    public ObserveRelation? Oldest => _lru.First?.Value;

    /// <summary>Admits a relation; its registration counts as hearing from the peer (RFC 7252 §4.7).</summary>
    public void Add(ObserveRelation relation, long now)
    {
        _byToken[Key(relation.Peer, relation.TokenBytes.Span)] = relation;
        if (!_byPeer.TryGetValue(relation.Peer, out var observer)) _byPeer[relation.Peer] = observer = new ObserverPeer(now);
        observer.Heard(now);
        observer.Relations.Add(relation);
        relation.Observer = observer;
        if (relation.Identity is { } identity) _byIdentity[(relation.Resource, identity)] = relation;
        relation.Node = _lru.AddLast(relation);
        relation.Resource.Attach(relation);
    }

    /// <summary>Takes the relation out of every index; false if it was already out.</summary>
    public bool Remove(ObserveRelation relation)
    {
        if (relation.Removed) return false;
        relation.Removed = true;
        _byToken.Remove(Key(relation.Peer, relation.TokenBytes.Span));
        if (_byPeer.TryGetValue(relation.Peer, out var observer))
        {
            observer.Relations.Remove(relation);
            if (observer.Relations.Count == 0) _byPeer.Remove(relation.Peer);
        }
        if (relation.Identity is { } identity && _byIdentity.TryGetValue((relation.Resource, identity), out var indexed) && indexed == relation)
            _byIdentity.Remove((relation.Resource, identity));
        if (relation.Node is { } node) _lru.Remove(node);
        relation.Node = null;
        relation.Observer = null;
        relation.Resource.Detach(relation);
        return true;
    }

    /// <summary>The observer showed it is alive (registered again, ACKed a notification): so did its peer.</summary>
    public void Touch(ObserveRelation relation, long now)
    {
        relation.LastActive = now;
        if (relation.Observer is { } observer)
        {
            observer.Heard(now);
            // Least recently active first (OldestOf); the list is at most the per-peer cap long.
            observer.Relations.Remove(relation);
            observer.Relations.Add(relation);
        }
        if (relation.Node is not { } node) return;
        _lru.Remove(node);
        _lru.AddLast(node);
    }

    private static (PeerAddress, ulong, int) Key(PeerAddress peer, ReadOnlySpan<byte> token)
    {
        Span<byte> padded = stackalloc byte[8];
        padded.Clear();
        token.CopyTo(padded[(8 - token.Length)..]);
        return (peer, BinaryPrimitives.ReadUInt64BigEndian(padded), token.Length);
    }
}
