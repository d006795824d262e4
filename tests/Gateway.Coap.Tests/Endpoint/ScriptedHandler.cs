using Gateway.Coap.Messages;
using Gateway.Coap.Server;

namespace Gateway.Coap.Tests.Endpoint;

/// <summary>A handler whose answers the test decides, counting calls.</summary>
internal sealed class ScriptedHandler : ICoapRequestHandler
{
    private int _calls;

    public Func<CoapRequest, ValueTask<CoapResponse>> Respond { get; set; } =
        request => new(CoapResponse.Text(CoapCode.Content, "hello " + string.Join('/', request.Path)));

    public int Calls => Volatile.Read(ref _calls);

    /// <summary>What the last request held: a copy, because the endpoint reuses the request object once the handler is done.</summary>
    public SeenRequest? LastRequest { get; private set; }

    public ValueTask<CoapResponse> HandleAsync(CoapRequest request, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _calls);
        LastRequest = new SeenRequest([.. request.Path], request.Payload.ToArray(),
            [.. request.Options.Select(o => new CoapOption(o.Number, o.Value.ToArray()))]);
        return Respond(request);
    }
}

internal sealed record SeenRequest(IReadOnlyList<string> Path, ReadOnlyMemory<byte> Payload, IReadOnlyList<CoapOption> Options);
