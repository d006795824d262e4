using Gateway.Coap.Messages;

namespace Gateway.Coap.Multicast;

/// <summary>
/// The rules for requests sent to All-CoAP-Nodes (RFC 7252 §8, §12.8), as pure functions so they are tested without
/// sockets or clocks. Only a NON GET of <c>/.well-known/core</c> is answered (RFC 6690 §4: discovery is what multicast
/// is for); everything else is ignored silently, because an error answer to a multicast request is forbidden (§8.2).
/// </summary>
public static class MulticastPolicy
{
    /// <summary>The groups of RFC 7252 §12.8: IPv4, IPv6 link-local and IPv6 site-local All-CoAP-Nodes.</summary>
    public static readonly System.Net.IPAddress IPv4Group = System.Net.IPAddress.Parse("224.0.1.187"),
        LinkLocalGroup = System.Net.IPAddress.Parse("ff02::fd"), SiteLocalGroup = System.Net.IPAddress.Parse("ff05::fd");

    public static MulticastDecision Decide(CoapMessage message, bool wasMulticast)
    {
        if (!message.Code.IsRequest || message.Type is not (CoapMessageType.Confirmable or CoapMessageType.NonConfirmable))
            return MulticastDecision.NotRequest;
        if (!wasMulticast) return MulticastDecision.Answer; // unicast is the endpoint's business, not this policy's
        // §8.1: a multicast request MUST be Non-confirmable; a CON sent to a group gets no ACK from anyone.
        if (message.Type == CoapMessageType.Confirmable) return MulticastDecision.Confirmable;
        if (message.Code != CoapCode.Get) return MulticastDecision.Write;
        if (!IsDiscovery(message)) return MulticastDecision.NotDiscovery;
        if (message.GetUIntOption(CoapOptionNumber.Block2) is { } block && BlockOption.Decode(block).Number > 0) return MulticastDecision.LaterBlock;
        return MulticastDecision.Answer;
    }

    /// <summary>
    /// §8.2: a server answers only when it has something useful to say. An error is never useful to a group, and
    /// RFC 6690 §4.1 says a filter that matches nothing gets no answer at all, not an empty listing.
    /// </summary>
    public static bool HasSomethingToSay(CoapCode code, int payloadLength) => code == CoapCode.Content && payloadLength > 0;

    /// <summary>
    /// §8.2.1: the answer waits a time picked uniformly from [0, Leisure), so that every node on the link does not
    /// answer at the same instant. <paramref name="draw"/> is a uniform sample in [0, 1).
    /// </summary>
    public static TimeSpan LeisureDelay(TimeSpan leisure, double draw) =>
        leisure <= TimeSpan.Zero ? TimeSpan.Zero : TimeSpan.FromTicks((long)(leisure.Ticks * Math.Clamp(draw, 0, 1)));

    private static bool IsDiscovery(CoapMessage message)
    {
        int segment = 0;
        var options = message.Options;
        for (int i = 0; i < options.Count; i++)
        {
            if (options[i].Number != CoapOptionNumber.UriPath) continue;
            var value = options[i].Value.Span;
            bool expected = segment switch
            {
                0 => value.SequenceEqual(".well-known"u8),
                1 => value.SequenceEqual("core"u8),
                _ => false,
            };
            if (!expected) return false;
            segment++;
        }
        return segment == 2;
    }
}
