namespace Gateway.Coap.Observe;

/// <summary>
/// One change of the registry, for <see cref="ObserveEvents"/>: <see cref="Removal"/> is null for an
/// added relation; <see cref="Notice"/> says the removed relation gets its final response (it was replaced).
/// </summary>
internal readonly record struct ObserveEvent(ObserveRelation Relation, ObserveRemovalReason? Removal, bool Notice = false);
