namespace Gateway.Storage.Observe;

/// <summary>One change to the stored relations: <see cref="Relation"/> added (or its row replaced), or removed by its (peer, token).</summary>
public readonly record struct ObservationWrite(ObserveRelation Relation, bool Remove);
