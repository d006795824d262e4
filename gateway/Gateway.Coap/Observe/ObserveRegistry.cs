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
    private readonly Dictionary<PeerAddress, List<ObserveRelation>> _byPeer = [];
    private readonly Dictionary<(ObservableResource Resource, string Identity), ObserveRelation> _byIdentity = [];
    private readonly LinkedList<ObserveRelation> _lru = [];

    public int Count => _byToken.Count;

    public IEnumerable<ObserveRelation> All => _lru;

    public ObserveRelation? Find(PeerAddress peer, ReadOnlySpan<byte> token) => _byToken.GetValueOrDefault(Key(peer, token));

    public ObserveRelation? FindSameTarget(PeerAddress peer, ObservableResource resource, string target)
    {
        if (!_byPeer.TryGetValue(peer, out var relations)) return null;
        foreach (var relation in relations) if (relation.Resource == resource && relation.Target == target) return relation;
        return null;
    }

    public ObserveRelation? FindIdentity(ObservableResource resource, string identity) =>
        _byIdentity.GetValueOrDefault((resource, identity));

    /// <summary>A NON notification answered with RST is matched by its Message ID (RFC 7641 §3.6).</summary>
    public ObserveRelation? FindByNonMessageId(PeerAddress peer, ushort messageId)
    {
        if (!_byPeer.TryGetValue(peer, out var relations)) return null;
        foreach (var relation in relations) if (relation.HasNonMessageId && relation.LastNonMessageId == messageId) return relation;
        return null;
    }

    public int CountOf(PeerAddress peer) => _byPeer.TryGetValue(peer, out var relations) ? relations.Count : 0;

    public ObserveRelation? OldestOf(PeerAddress peer)
    {
        foreach (var relation in _lru) if (relation.Peer == peer) return relation;
        return null;
    }

    public ObserveRelation? Oldest => _lru.First?.Value;

    public void Add(ObserveRelation relation)
    {
        _byToken[Key(relation.Peer, relation.TokenBytes)] = relation;
        if (!_byPeer.TryGetValue(relation.Peer, out var relations)) _byPeer[relation.Peer] = relations = [];
        relations.Add(relation);
        if (relation.Identity is { } identity) _byIdentity[(relation.Resource, identity)] = relation;
        relation.Node = _lru.AddLast(relation);
        relation.Resource.Attach(relation);
    }

    /// <summary>Takes the relation out of every index; false if it was already out.</summary>
    public bool Remove(ObserveRelation relation)
    {
        if (relation.Removed) return false;
        relation.Removed = true;
        _byToken.Remove(Key(relation.Peer, relation.TokenBytes));
        if (_byPeer.TryGetValue(relation.Peer, out var relations))
        {
            relations.Remove(relation);
            if (relations.Count == 0) _byPeer.Remove(relation.Peer);
        }
        if (relation.Identity is { } identity && _byIdentity.TryGetValue((relation.Resource, identity), out var indexed) && indexed == relation)
            _byIdentity.Remove((relation.Resource, identity));
        if (relation.Node is { } node) _lru.Remove(node);
        relation.Node = null;
        relation.Resource.Detach(relation);
        return true;
    }

    /// <summary>The observer showed it is alive (registered again, ACKed a notification).</summary>
    public void Touch(ObserveRelation relation, long now)
    {
        relation.LastActive = now;
        relation.NonBytes = 0;
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
