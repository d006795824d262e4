using System.Net;

namespace Gateway.Host.Http;

/// <summary>The <c>Http</c> configuration section: the listener for <c>/healthz</c>, <c>/metrics</c> and the HTTP device API.</summary>
public sealed class HttpOptions
{
    public const string Section = "Http";

    /// <summary>Bind address; <c>::</c> is dual-stack.</summary>
    public string Address { get; set; } = "::";

    /// <summary>TCP port; 0 turns the HTTP listener off.</summary>
    public int Port { get; set; } = 8080;

    public bool Enabled => Port != 0;

    public IEnumerable<string> Validate()
    {
        if (!IPAddress.TryParse(Address, out _)) yield return $"{Section}:Address: '{Address}' is not an IP address";
        if (Port is < 0 or > 65535) yield return $"{Section}:Port: {Port} is not a port";
    }
}
