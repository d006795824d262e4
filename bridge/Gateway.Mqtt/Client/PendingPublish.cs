using Gateway.Mqtt.Connection;
using Gateway.Mqtt.Packets;

namespace Gateway.Mqtt.Client;

/// <summary>A QoS 1 publish from acceptance until its PUBACK (or the client stops).</summary>
internal sealed class PendingPublish(PublishPacket packet)
{
    public PublishPacket Packet { get; set; } = packet;
    public TaskCompletionSource<MqttPublishResult> Result { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    public bool EverSent { get; set; }
    /// <summary>The connection it is currently on the wire of, null when waiting to be (re)sent.</summary>
    public MqttConnection? SentOn { get; set; }
}
