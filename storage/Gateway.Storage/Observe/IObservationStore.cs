namespace Gateway.Storage.Observe;

/// <summary>Observe relations that survive a restart (libcoap's persistence idea).</summary>
public interface IObservationStore
{
    /// <summary>Adds or replaces the relation of (peer, token).</summary>
    Task UpsertAsync(ObserveRelation relation, CancellationToken cancellationToken = default);

    /// <summary>Records the last Observe sequence number sent; false if the relation is gone.</summary>
    Task<bool> UpdateSequenceAsync(string peer, byte[] token, int lastSequence, CancellationToken cancellationToken = default);

    /// <summary>Removes a relation (deregistration, RST, CON timeout); false if unknown.</summary>
    Task<bool> RemoveAsync(string peer, byte[] token, CancellationToken cancellationToken = default);

    /// <summary>
    /// Applies <paramref name="writes"/> in order in one transaction (one commit for a burst of registrations
    /// instead of one each); all or none of them. Synchronous: call it from the one thread that writes relations.
    /// </summary>
    void Apply(IReadOnlyList<ObservationWrite> writes);

    /// <summary>All relations, to re-register with the CoAP layer at start.</summary>
    Task<IReadOnlyList<ObserveRelation>> ListAsync(CancellationToken cancellationToken = default);
}
