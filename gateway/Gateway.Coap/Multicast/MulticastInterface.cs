namespace Gateway.Coap.Multicast;

/// <summary>A network interface to join All-CoAP-Nodes on: its name (for logs), index (the IPv6 scope id) and families.</summary>
public readonly record struct MulticastInterface(string Name, int Index, bool IPv4, bool IPv6);
