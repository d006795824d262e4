using System.IO.Pipelines;

namespace Gateway.Mqtt.Transport;

/// <summary>A <see cref="Stream"/> (socket or TLS) exposed as a pipe pair.</summary>
internal sealed class StreamTransportConnection(Stream stream, string remoteEndPoint) : IMqttTransportConnection
{
    // Small minimum read size: MQTT packets are mostly tiny and latency matters more than syscalls.
    public PipeReader Input { get; } = PipeReader.Create(stream, new StreamPipeReaderOptions(minimumReadSize: 4096, leaveOpen: true));
    public PipeWriter Output { get; } = PipeWriter.Create(stream, new StreamPipeWriterOptions(leaveOpen: true));
    public string RemoteEndPoint => remoteEndPoint;

    public async ValueTask DisposeAsync()
    {
        await Input.CompleteAsync().ConfigureAwait(false);
        try { await Output.CompleteAsync().ConfigureAwait(false); }
        catch (Exception) { /* flushing into a dead socket: nothing left to save */ }
        await stream.DisposeAsync().ConfigureAwait(false);
    }
}
