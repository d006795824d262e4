namespace Gateway.Coap.Server;

/// <summary>Target attributes of a resource as published in CoRE Link Format (RFC 6690 §3.2–3.4, RFC 7641 §6).</summary>
public sealed class CoapResourceAttributes
{
    /// <summary>Resource types (<c>rt</c>), space-separated in the link.</summary>
    public List<string> ResourceTypes { get; } = [];

    /// <summary>Interface descriptions (<c>if</c>).</summary>
    public List<string> Interfaces { get; } = [];

    /// <summary>Content formats (<c>ct</c>).</summary>
    public List<int> ContentFormats { get; } = [];

    public string? Title { get; set; }

    /// <summary>Maximum size estimate (<c>sz</c>).</summary>
    public int? MaximumSize { get; set; }

    /// <summary>The resource is observable (<c>obs</c>).</summary>
    public bool Observable { get; set; }
}
