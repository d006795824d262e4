namespace Gateway.Coap.Observe;

/// <summary>Why an observe relation ended; the resource hears it in <see cref="ObservableResource.OnRelationRemoved"/>.</summary>
public enum ObserveRemovalReason : byte
{
    /// <summary>The client sent GET with Observe=1 (RFC 7641 §3.6).</summary>
    Deregistered,

    /// <summary>The client answered a notification with RST (RFC 7641 §3.6, §4.5).</summary>
    Reset,

    /// <summary>A Confirmable notification was never acknowledged after MAX_RETRANSMIT retransmissions (RFC 7641 §4.5).</summary>
    TimedOut,

    /// <summary>The same peer registered again for the same target with a new token (one relation per target and observer).</summary>
    Replaced,

    /// <summary>The same observer identity registered again from another address (NAT rebinding); the old address is orphaned.</summary>
    Rebound,

    /// <summary>A per-peer or global cap was reached and this relation was the least recently active (counted).</summary>
    Evicted,

    /// <summary>The resource sent a non-2.xx notification, which ends the relation (RFC 7641 §4.2).</summary>
    ErrorNotification,

    /// <summary>The registration was answered with a non-2.xx response (RFC 7641 §4.1).</summary>
    RegistrationFailed,

    /// <summary>The endpoint was disposed.</summary>
    EndpointStopped,
}
