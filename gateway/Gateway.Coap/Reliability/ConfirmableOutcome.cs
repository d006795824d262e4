namespace Gateway.Coap.Reliability;

/// <summary>How an outgoing Confirmable message ended (RFC 7252 §4.2).</summary>
public enum ConfirmableOutcome : byte
{
    Acknowledged,
    Reset,
    /// <summary>No ACK or RST after MAX_RETRANSMIT retransmissions.</summary>
    TimedOut,
    Cancelled,
}
