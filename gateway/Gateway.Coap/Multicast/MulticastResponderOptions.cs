namespace Gateway.Coap.Multicast;

/// <summary>How the gateway answers discovery sent to All-CoAP-Nodes (RFC 7252 §8.2).</summary>
public sealed class MulticastResponderOptions
{
    /// <summary>§8.2.1 Leisure: an answer waits a random time below this (DEFAULT_LEISURE, 5 s, when unknown).</summary>
    public TimeSpan Leisure { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Answers sent per second at most (a token bucket of the same depth); more are dropped and counted.</summary>
    public double MaxResponsesPerSecond { get; set; } = 10;

    /// <summary>Answers waiting out their leisure at once; more are dropped and counted.</summary>
    public int MaxPending { get; set; } = 64;

    /// <summary>An answer is at most this many times its request (RFC 7252 §11.3): a group request is easily spoofed.</summary>
    public int AmplificationFactor { get; set; } = 3;

    /// <summary>The largest block of a listing sent to a group; the rest is fetched by unicast (RFC 7959 §2.8).</summary>
    public int MaxBlockSize { get; set; } = 32;

    public IEnumerable<string> Validate()
    {
        if (Leisure < TimeSpan.Zero) yield return $"Leisure: {Leisure} must not be negative (RFC 7252 §8.2.1)";
        if (!(MaxResponsesPerSecond > 0)) yield return $"MaxResponsesPerSecond: {MaxResponsesPerSecond} must be more than 0";
        if (MaxPending < 1) yield return $"MaxPending: {MaxPending} must be at least 1";
        if (AmplificationFactor < 1) yield return $"AmplificationFactor: {AmplificationFactor} must be at least 1 (RFC 7252 §11.3)";
        if (MaxBlockSize is < 16 or > 1024 || (MaxBlockSize & (MaxBlockSize - 1)) != 0) yield return $"MaxBlockSize: {MaxBlockSize} must be a power of two 16..1024 (RFC 7959 §2.2)";
    }
}
