using System.IO.Pipelines;
using System.Threading.Channels;

namespace Gateway.Mqtt.Transport;

/// <summary>
/// A transport made of two pipes per connection, for scripted broker tests: the client side is
/// returned from <see cref="ConnectAsync"/>, the broker side from <see cref="AcceptAsync"/>.
/// </summary>
public sealed class InMemoryMqttTransport : IMqttTransport
{
    private readonly Channel<IMqttTransportConnection> _accepted = Channel.CreateUnbounded<IMqttTransportConnection>();
    private int _count;

    /// <summary>While true, connection attempts fail as if the broker were down.</summary>
    public bool RefuseConnections { get; set; }

    /// <summary>Number of connection attempts so far (refused ones included).</summary>
    public int ConnectAttempts => Volatile.Read(ref _count);

    public ValueTask<IMqttTransportConnection> ConnectAsync(CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        int n = Interlocked.Increment(ref _count);
        if (RefuseConnections) throw new IOException($"in-memory#{n}: connection refused");
        var toBroker = new Pipe();
        var toClient = new Pipe();
        var client = new PipeConnection(toClient.Reader, toBroker.Writer, $"in-memory#{n}");
        var broker = new PipeConnection(toBroker.Reader, toClient.Writer, $"in-memory#{n} (broker side)");
        _accepted.Writer.TryWrite(broker);
        return ValueTask.FromResult<IMqttTransportConnection>(client);
    }

    /// <summary>The broker side of the next connection.</summary>
    public ValueTask<IMqttTransportConnection> AcceptAsync(CancellationToken cancellationToken) =>
        _accepted.Reader.ReadAsync(cancellationToken);

    private sealed class PipeConnection(PipeReader input, PipeWriter output, string name) : IMqttTransportConnection
    {
        public PipeReader Input => input;
        public PipeWriter Output => output;
        public string RemoteEndPoint => name;

        public async ValueTask DisposeAsync()
        {
            await input.CompleteAsync().ConfigureAwait(false);
            await output.CompleteAsync().ConfigureAwait(false);
        }
    }
}
