using Gateway.Coap.Messages;
using Gateway.Coap.Server;
using Gateway.Common;

namespace Gateway.Coap;

/// <summary>
/// Messages and requests that asynchronous exchanges took from their receive threads (<see cref="ReceiveContext.Detach"/>),
/// given back once the exchange is complete and its handler's task has ended (the request's lifetime, as for one
/// answered at once): a receive thread takes one instead of a new message, its option arrays, a request and its route
/// values (issue 21: a quarter of a durable POST's allocation). Bounded; what does not fit is left to the collector.
/// </summary>
internal sealed class DetachedRequestPool(int capacity)
{
    private readonly SparePool<(CoapMessage Message, CoapRequest Request)> _spare = new(capacity);

    /// <summary>Spares kept now.</summary>
    public int Count => _spare.Count;

    public bool TryTake(out CoapMessage message, out CoapRequest request)
    {
        bool taken = _spare.TryTake(out var spare);
        (message, request) = spare;
        return taken;
    }

    /// <summary>Keeps a request and the message it was made of for the next detach; forgets what it carried.</summary>
    public void Return(CoapMessage message, CoapRequest request)
    {
        if (_spare.Count >= capacity) return;
        request.Reset(message, default);
        _spare.Return((message, request));
    }
}
