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

    public CoapRequest? LastRequest { get; private set; }

    public ValueTask<CoapResponse> HandleAsync(CoapRequest request, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _calls);
        LastRequest = request;
        return Respond(request);
    }
}
