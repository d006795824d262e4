namespace Gateway.Coap;

/// <summary>The peer rejected a Confirmable message with RST (RFC 7252 §4.2).</summary>
public sealed class CoapResetException(string message) : Exception(message);
