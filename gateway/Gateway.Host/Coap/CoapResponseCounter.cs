using Gateway.Coap.Messages;
using Gateway.Coap.Server;

namespace Gateway.Host.Coap;

/// <summary>
/// Counts the response code of every request the resource tree answers (one interlocked add per
/// request, read by the metrics) by sitting between the endpoint and <see cref="CoapServer"/>.
/// Answers the endpoint gives by itself (4.02 for a bad critical option, replays of a duplicate)
/// are counted by <see cref="Gateway.Coap.CoapEndpointStatistics"/> instead.
/// </summary>
public sealed class CoapResponseCounter(CoapServer server) : ICoapRequestHandler
{
    private readonly long[] _byCode = new long[256];

    public ValueTask<CoapResponse> HandleAsync(CoapRequest request, CancellationToken cancellationToken)
    {
        var pending = server.HandleAsync(request, cancellationToken);
        // Most resources answer synchronously: count and return without an async state machine on that path.
        if (!pending.IsCompletedSuccessfully) return CountLaterAsync(pending);
        var response = pending.Result;
        Interlocked.Increment(ref _byCode[response.Code.Value]);
        return ValueTask.FromResult(response);
    }

    private async ValueTask<CoapResponse> CountLaterAsync(ValueTask<CoapResponse> pending)
    {
        var response = await pending.ConfigureAwait(false);
        Interlocked.Increment(ref _byCode[response.Code.Value]);
        return response;
    }

    /// <summary>Codes answered so far as ("2.05", count), only codes seen at least once.</summary>
    public IEnumerable<(string Code, long Count)> Snapshot()
    {
        for (var i = 0; i < _byCode.Length; i++)
        {
            var count = Volatile.Read(ref _byCode[i]);
            if (count > 0) yield return (new CoapCode((byte)i).ToString(), count);
        }
    }
}
