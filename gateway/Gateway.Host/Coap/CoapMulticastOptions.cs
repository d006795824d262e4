using System.Net.NetworkInformation;
using Gateway.Coap.Multicast;

namespace Gateway.Host.Coap;

/// <summary>The <c>Coap:Multicast</c> section: discovery through All-CoAP-Nodes (RFC 7252 §8, §12.8).</summary>
public sealed class CoapMulticastOptions
{
    public const string Section = "Coap:Multicast";

    public bool Enabled { get; set; } = true;

    /// <summary>Interface names, comma-separated (<c>wpan0,eth1</c>); empty = every interface that is up and supports multicast.</summary>
    public string Interfaces { get; set; } = "";

    /// <summary>Answers to group requests per second at most; more are dropped and counted.</summary>
    public double MaxResponsesPerSecond { get; set; } = 10;

    public IEnumerable<string> Validate()
    {
        if (!Enabled) yield break;
        if (!(MaxResponsesPerSecond > 0) || MaxResponsesPerSecond > 10000)
            yield return $"{Section}:MaxResponsesPerSecond: {MaxResponsesPerSecond} must be more than 0 and at most 10000";
    }

    public MulticastResponderOptions ToResponderOptions(TimeSpan leisure) => new()
    {
        Leisure = leisure,
        MaxResponsesPerSecond = MaxResponsesPerSecond,
    };

    /// <summary>The interfaces to join on: the named ones (those present now), or all that are up and support multicast.</summary>
    public IEnumerable<MulticastInterface> ChooseInterfaces()
    {
        var named = Interfaces.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        foreach (var nic in NetworkInterface.GetAllNetworkInterfaces())
        {
            if (named.Length > 0 ? !named.Contains(nic.Name, StringComparer.Ordinal)
                : !nic.SupportsMulticast || nic.OperationalStatus is not (OperationalStatus.Up or OperationalStatus.Unknown)) continue;
            bool v6 = nic.Supports(NetworkInterfaceComponent.IPv6), v4 = nic.Supports(NetworkInterfaceComponent.IPv4);
            int index = v6 ? nic.GetIPProperties().GetIPv6Properties().Index : v4 ? nic.GetIPProperties().GetIPv4Properties().Index : -1;
            if (index > 0) yield return new MulticastInterface(nic.Name, index, v4, v6);
        }
    }
}
