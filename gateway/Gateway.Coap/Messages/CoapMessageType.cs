namespace Gateway.Coap.Messages;

/// <summary>The 2-bit message type of RFC 7252 §3 / §4.</summary>
public enum CoapMessageType : byte
{
    Confirmable = 0,
    NonConfirmable = 1,
    Acknowledgement = 2,
    Reset = 3,
}
