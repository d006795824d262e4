using Gateway.Mqtt.Protocol;

namespace Gateway.Mqtt.Packets;

/// <summary>
/// MQTT 5 properties (§2.2.2) as typed, optional members. <c>null</c> means "absent", which is
/// different from a present default (e.g. Receive Maximum absent means 65,535, §3.2.2.3.3).
/// Which property may appear in which packet is checked by the codec (table 2-4).
/// On MQTT 3.1.1 connections properties are neither written nor read.
/// </summary>
public sealed record MqttProperties
{
    public static readonly MqttProperties Empty = new();

    public byte? PayloadFormatIndicator { get; init; }
    public uint? MessageExpiryInterval { get; init; }
    public string? ContentType { get; init; }
    public string? ResponseTopic { get; init; }
    public ReadOnlyMemory<byte>? CorrelationData { get; init; }
    /// <summary>Repeatable in PUBLISH (server → client), once in SUBSCRIBE; values 1..268,435,455.</summary>
    public IReadOnlyList<uint> SubscriptionIdentifiers { get; init; } = [];
    public uint? SessionExpiryInterval { get; init; }
    public string? AssignedClientIdentifier { get; init; }
    public ushort? ServerKeepAlive { get; init; }
    public string? AuthenticationMethod { get; init; }
    public ReadOnlyMemory<byte>? AuthenticationData { get; init; }
    public byte? RequestProblemInformation { get; init; }
    public uint? WillDelayInterval { get; init; }
    public byte? RequestResponseInformation { get; init; }
    public string? ResponseInformation { get; init; }
    public string? ServerReference { get; init; }
    public string? ReasonString { get; init; }
    public ushort? ReceiveMaximum { get; init; }
    public ushort? TopicAliasMaximum { get; init; }
    public ushort? TopicAlias { get; init; }
    public byte? MaximumQoS { get; init; }
    public byte? RetainAvailable { get; init; }
    public IReadOnlyList<MqttUserProperty> UserProperties { get; init; } = [];
    public uint? MaximumPacketSize { get; init; }
    public byte? WildcardSubscriptionAvailable { get; init; }
    public byte? SubscriptionIdentifierAvailable { get; init; }
    public byte? SharedSubscriptionAvailable { get; init; }
}
