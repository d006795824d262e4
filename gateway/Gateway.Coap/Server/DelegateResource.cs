using Gateway.Coap.Messages;

namespace Gateway.Coap.Server;

/// <summary>A resource whose methods are delegates: the quick way to serve a handful of paths.</summary>
public sealed class DelegateResource(string name) : CoapResource(name)
{
    private readonly Dictionary<byte, Func<CoapRequest, CancellationToken, ValueTask<CoapResponse>>> _methods = [];

    public DelegateResource On(CoapCode method, Func<CoapRequest, CancellationToken, ValueTask<CoapResponse>> handler)
    {
        _methods[method.Value] = handler;
        return this;
    }

    public DelegateResource On(CoapCode method, Func<CoapRequest, CoapResponse> handler) =>
        On(method, (request, _) => new ValueTask<CoapResponse>(handler(request)));

    public override bool IsEndpoint => true;

    public override ValueTask<CoapResponse> HandleAsync(CoapRequest request, CancellationToken cancellationToken) =>
        _methods.TryGetValue(request.Method.Value, out var handler) ? handler(request, cancellationToken) : MethodNotAllowed;
}
