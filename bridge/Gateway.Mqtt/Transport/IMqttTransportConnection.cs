using System.IO.Pipelines;

namespace Gateway.Mqtt.Transport;

/// <summary>
/// One established byte stream to the broker. Completing <see cref="IDuplexPipe.Output"/> or
/// disposing closes it; the peer closing shows up as a completed read on <see cref="IDuplexPipe.Input"/>.
/// </summary>
public interface IMqttTransportConnection : IDuplexPipe, IAsyncDisposable
{
    /// <summary>For logs: "127.0.0.1:1883", "in-memory#3".</summary>
    string RemoteEndPoint { get; }
}
