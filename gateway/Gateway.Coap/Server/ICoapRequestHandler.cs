namespace Gateway.Coap.Server;

/// <summary>
/// What an endpoint hands complete requests to. A handler that completes synchronously is
/// answered on the receive thread with a piggybacked response; one that does not gets an empty
/// ACK after <see cref="CoapEndpointOptions.SeparateResponseDelay"/> and a separate response.
/// </summary>
public interface ICoapRequestHandler
{
    ValueTask<CoapResponse> HandleAsync(CoapRequest request, CancellationToken cancellationToken);
}
