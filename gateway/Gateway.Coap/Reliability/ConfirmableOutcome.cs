namespace Gateway.Coap.Reliability;

/// <summary>How an outgoing Confirmable message ended (RFC 7252 §4.2).</summary>
public enum ConfirmableOutcome : byte
{
    Acknowledged,
    Reset,
    /// <summary>No ACK or RST after MAX_RETRANSMIT retransmissions.</summary>
    TimedOut,
    Cancelled,
    /// <summary>Replaced by a newer message that took over its retransmission state (RFC 7641 §4.5.2).</summary>
    Superseded,
}
