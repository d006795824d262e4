using Gateway.Mqtt.Protocol;
using Microsoft.Extensions.Logging;

namespace Gateway.Mqtt.Connection;

/// <summary>Source-generated log methods for <see cref="MqttConnection"/>; event ids 100–119 are fixed.</summary>
internal static partial class MqttConnectionLog
{
    [LoggerMessage(100, LogLevel.Debug, "MQTT connection to {RemoteEndPoint} open (v{Version}, keep alive {KeepAlive}, receive maximum {ReceiveMaximum}, maximum packet size {MaximumPacketSize})")]
    public static partial void Opened(ILogger logger, string remoteEndPoint, int version, TimeSpan keepAlive, int receiveMaximum, int maximumPacketSize);

    [LoggerMessage(101, LogLevel.Debug, "MQTT connection to {RemoteEndPoint} closed: {Reason}: {Message}")]
    public static partial void Closed(ILogger logger, string remoteEndPoint, MqttDisconnectReason reason, string message);

    [LoggerMessage(102, LogLevel.Debug, "{PacketType} for unknown packet id {PacketId} ignored")]
    public static partial void UnknownAck(ILogger logger, MqttPacketType packetType, ushort packetId);

    [LoggerMessage(103, LogLevel.Trace, "PINGREQ sent")]
    public static partial void PingSent(ILogger logger);
}
