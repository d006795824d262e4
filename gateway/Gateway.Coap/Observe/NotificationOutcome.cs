namespace Gateway.Coap.Observe;

/// <summary>What became of one notification handed to <see cref="ObservableResource.NotifyAsync(ObserveRelation, Server.CoapResponse)"/>.</summary>
public enum NotificationOutcome : byte
{
    /// <summary>A Confirmable notification was acknowledged by the client.</summary>
    Acknowledged,

    /// <summary>A Non-confirmable notification left the endpoint (no delivery proof exists for NON, RFC 7252 §4.3).</summary>
    Sent,

    /// <summary>
    /// A newer notification replaced this one while it waited for its ACK (RFC 7641 §4.5.2: only the
    /// newest state is worth delivering). An event-like payload (an RPC) should be re-sent by the caller.
    /// </summary>
    Superseded,

    /// <summary>The client answered with RST; the relation is gone.</summary>
    Reset,

    /// <summary>No ACK after the retransmissions; the relation is gone.</summary>
    TimedOut,

    /// <summary>The resource composed nothing for this observer (<c>ComposeNotificationAsync</c> returned null).</summary>
    Skipped,

    /// <summary>The relation no longer existed when the notification was to be sent, or the endpoint stopped.</summary>
    RelationGone,
}
