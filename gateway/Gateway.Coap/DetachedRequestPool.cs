using System.Collections.Concurrent;
using Gateway.Coap.Messages;
using Gateway.Coap.Server;

namespace Gateway.Coap;

/// <summary>
/// Messages and requests that asynchronous exchanges took from their receive threads (<see cref="ReceiveContext.Detach"/>),
/// given back once the exchange is complete and its handler's task has ended (the request's lifetime, as for one
/// answered at once): a receive thread takes one instead of a new message, its option arrays, a request and its route
/// values (issue 21: a quarter of a durable POST's allocation). Bounded; what does not fit is left to the collector.
/// </summary>
internal sealed class DetachedRequestPool(int capacity)
{
    private readonly ConcurrentQueue<(CoapMessage Message, CoapRequest Request)> _spare = new();
    private int _count;

    /// <summary>Spares kept now.</summary>
    public int Count => Volatile.Read(ref _count);

    public bool TryTake(out CoapMessage message, out CoapRequest request)
    {
        if (_spare.TryDequeue(out var spare))
        {
            Interlocked.Decrement(ref _count);
            (message, request) = spare;
            return true;
        }
        (message, request) = (null!, null!);
        return false;
    }

    /// <summary>Keeps a request and the message it was made of for the next detach; forgets what it carried.</summary>
    public void Return(CoapMessage message, CoapRequest request)
    {
        if (Interlocked.Increment(ref _count) > capacity)
        {
            Interlocked.Decrement(ref _count);
            return;
        }
        request.Reset(message, default);
        _spare.Enqueue((message, request));
    }
}
