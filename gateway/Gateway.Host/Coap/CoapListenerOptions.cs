using System.Net;

namespace Gateway.Host.Coap;

/// <summary>The <c>Coap</c> configuration section (README, "Configuration").</summary>
public sealed class CoapListenerOptions
{
    public const string Section = "Coap";

    /// <summary>Bind address; <c>::</c> is dual-stack (IPv4 peers arrive as IPv4-mapped IPv6).</summary>
    public string Address { get; set; } = "::";

    public int Port { get; set; } = 5683;

    /// <summary>Receive threads on the socket; 0 = one per processor.</summary>
    public int ReceiveThreads { get; set; }

    public double AckTimeoutSeconds { get; set; } = 2;
    public double AckRandomFactor { get; set; } = 1.5;
    public int MaxRetransmit { get; set; } = 4;
    public int SeparateResponseDelayMilliseconds { get; set; } = 500;
    public int DeduplicationCapacity { get; set; } = 16384;

    /// <summary>One-line problems naming the key, e.g. <c>Coap:Port: 70000 is not a port</c>.</summary>
    public IEnumerable<string> Validate()
    {
        if (!IPAddress.TryParse(Address, out _)) yield return $"{Section}:Address: '{Address}' is not an IP address";
        if (Port is < 0 or > 65535) yield return $"{Section}:Port: {Port} is not a port";
        foreach (var problem in ToEndpointOptions().Validate()) yield return $"{Section}:{problem}";
    }

    // A method, not a property: the configuration binder (generated) would try to bind a property.
    public IPEndPoint EndPoint() => new(IPAddress.Parse(Address), Port);

    public Gateway.Coap.CoapEndpointOptions ToEndpointOptions() => new()
    {
        ReceiveThreads = ReceiveThreads,
        AckTimeout = TimeSpan.FromSeconds(AckTimeoutSeconds),
        AckRandomFactor = AckRandomFactor,
        MaxRetransmit = MaxRetransmit,
        SeparateResponseDelay = TimeSpan.FromMilliseconds(SeparateResponseDelayMilliseconds),
        DeduplicationCapacity = DeduplicationCapacity,
    };
}
