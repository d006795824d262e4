using System.Threading.Channels;
using Gateway.Coap.Messages;
using Gateway.Coap.Transport;

namespace Gateway.Coap.Client;

/// <summary>
/// Our side of one observe relation (RFC 7641 §3): notifications matched by (peer, token), queued
/// for the consumer. The queue keeps the newest few only: a slow consumer wants current state, not
/// history (§3.4 allows skipping older notifications).
/// </summary>
internal sealed class ClientObservation(PeerAddress peer, ulong token)
{
    public PeerAddress Peer { get; } = peer;
    public ulong Token { get; } = token;

    public Channel<CoapMessage> Notifications { get; } = Channel.CreateBounded<CoapMessage>(
        new BoundedChannelOptions(64) { FullMode = BoundedChannelFullMode.DropOldest, SingleReader = true });

    public void Deliver(CoapMessage notification) => Notifications.Writer.TryWrite(notification);
}
