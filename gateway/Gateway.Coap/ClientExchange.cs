using Gateway.Coap.Messages;
using Gateway.Coap.Transport;

namespace Gateway.Coap;

/// <summary>An outgoing request waiting for its response, matched by (peer, token) (RFC 7252 §5.3.2).</summary>
internal sealed class ClientExchange(PeerAddress peer, ulong token, ushort messageId)
{
    public PeerAddress Peer { get; } = peer;
    public ulong Token { get; } = token;
    public ushort MessageId { get; } = messageId;
    public TaskCompletionSource<CoapMessage> Response { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
}
