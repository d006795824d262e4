using System.Net;
using System.Net.Sockets;
using MQTTnet.Channel;

namespace Gateway.Mqtt.Client;

/// <summary>
/// Opens the TCP connection to the broker for MQTTnet (its stream-provider hook; TLS is layered on
/// top by MQTTnet). Ours rather than MQTTnet's own socket for two reasons, both measured in the drain
/// (docs/performance.md, "The drain and delayed ACKs"):
/// <list type="bullet">
/// <item>MQTTnet fixes both socket buffers at 8 KiB, which turns off the kernel's buffer autotuning:
/// a 64 KiB PUBLISH then needs several round trips to leave, which over a WAN caps the drain far
/// below the link. We leave the buffers to the kernel.</item>
/// <item>The stream re-arms TCP_QUICKACK after every read (<see cref="QuickAckStream"/>), so a
/// PUBACK is acknowledged at once; a broker with Nagle's algorithm on (mosquitto's default) holds
/// its next PUBACK until that acknowledgement, which Linux otherwise delays by up to 40 ms.</item>
/// </list>
/// </summary>
internal sealed class BrokerSocket : IMqttClientStreamProvider
{
    public static BrokerSocket Instance { get; } = new();

    public async Task<Stream> ConnectAsync(EndPoint brokerEndPoint, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(brokerEndPoint);
        // Dual-mode where IPv6 is there, so a host name reaches either family (as MQTTnet's own socket does).
        // Linger 0 is MQTTnet's default: close with a reset instead of lingering in FIN_WAIT (a reconnect must not wait).
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true, LingerState = new LingerOption(true, 0) };
        try
        {
            await socket.ConnectAsync(brokerEndPoint, cancellationToken).ConfigureAwait(false);
            return new QuickAckStream(socket);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }
}
