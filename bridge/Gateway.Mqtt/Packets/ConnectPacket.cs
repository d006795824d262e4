using Gateway.Mqtt.Protocol;

namespace Gateway.Mqtt.Packets;

/// <summary>CONNECT (MQTT 5.0 §3.1, 3.1.1 §3.1). The protocol level travels in the packet itself.</summary>
public sealed record ConnectPacket : MqttPacket
{
    public override MqttPacketType Type => MqttPacketType.Connect;
    public MqttProtocolVersion ProtocolVersion { get; init; } = MqttProtocolVersion.V500;
    public string ClientId { get; init; } = "";
    public ushort KeepAliveSeconds { get; init; }
    /// <summary>Clean Start (v5 §3.1.2.4) / Clean Session (3.1.1 §3.1.2.4).</summary>
    public bool CleanStart { get; init; } = true;
    public string? Username { get; init; }
    public ReadOnlyMemory<byte>? Password { get; init; }
    public MqttWill? Will { get; init; }
    public MqttProperties Properties { get; init; } = MqttProperties.Empty;

    // Never print the password (records generate ToString from every member).
    protected override bool PrintMembers(System.Text.StringBuilder builder)
    {
        builder.Append($"ProtocolVersion = {ProtocolVersion}, ClientId = {ClientId}, KeepAliveSeconds = {KeepAliveSeconds}, ");
        builder.Append($"CleanStart = {CleanStart}, Username = {Username}, Password = {(Password is null ? "null" : "***")}");
        return true;
    }
}
