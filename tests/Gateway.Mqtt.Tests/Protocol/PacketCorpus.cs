using Gateway.Mqtt.Packets;
using Gateway.Mqtt.Protocol;

namespace Gateway.Mqtt.Tests.Protocol;

/// <summary>One packet of every type the codec handles, rich enough to exercise every field, per version.</summary>
internal static class PacketCorpus
{
    public static IEnumerable<MqttPacket> All(MqttProtocolVersion v)
    {
        bool v5 = v == MqttProtocolVersion.V500;
        var props = v5 ? new MqttProperties { ReasonString = "why", UserProperties = [new("k", "v"), new("k", "v2")] } : MqttProperties.Empty;
        yield return new ConnectPacket
        {
            ProtocolVersion = v, ClientId = "gw-1", KeepAliveSeconds = 60, CleanStart = false, Username = "user", Password = "pw"u8.ToArray(),
            Will = new MqttWill
            {
                Topic = "gw/status", Payload = "offline"u8.ToArray(), QoS = MqttQualityOfService.AtLeastOnce, Retain = true,
                Properties = v5 ? new MqttProperties { WillDelayInterval = 5, ContentType = "text/plain" } : MqttProperties.Empty,
            },
            Properties = v5 ? new MqttProperties { SessionExpiryInterval = 3600, ReceiveMaximum = 20, MaximumPacketSize = 65536, RequestProblemInformation = 1 } : MqttProperties.Empty,
        };
        yield return new ConnectPacket { ProtocolVersion = v, ClientId = "", KeepAliveSeconds = 0 };
        yield return new ConnAckPacket
        {
            SessionPresent = true, ReasonCode = MqttReasonCode.Success,
            Properties = v5 ? new MqttProperties { ReceiveMaximum = 10, MaximumPacketSize = 1024, MaximumQoS = 1, RetainAvailable = 0, ServerKeepAlive = 30, AssignedClientIdentifier = "auto-1" } : MqttProperties.Empty,
        };
        yield return new ConnAckPacket { ReasonCode = MqttReasonCode.NotAuthorized };
        yield return new PublishPacket { Topic = "v1/gateway/telemetry", Payload = "{\"a\":[1]}"u8.ToArray(), QoS = MqttQualityOfService.AtLeastOnce, PacketId = 7, Dup = true, Retain = true,
            Properties = v5 ? new MqttProperties { PayloadFormatIndicator = 1, MessageExpiryInterval = 60, ContentType = "application/json", ResponseTopic = "r/1", CorrelationData = new byte[] { 1, 2 }, SubscriptionIdentifiers = [1, 300], UserProperties = [new("a", "b")] } : MqttProperties.Empty };
        yield return new PublishPacket { Topic = "t", Payload = Array.Empty<byte>() };
        yield return new PubAckPacket { PacketId = 7 };
        if (v5)
        {
            yield return new PubAckPacket { PacketId = 8, ReasonCode = MqttReasonCode.PayloadFormatInvalid };
            yield return new PubAckPacket { PacketId = 9, ReasonCode = MqttReasonCode.QuotaExceeded, Properties = props };
        }
        yield return new SubscribePacket
        {
            PacketId = 1,
            Subscriptions =
            [
                new MqttSubscription { TopicFilter = "v1/gateway/rpc", QoS = MqttQualityOfService.AtLeastOnce },
                new MqttSubscription { TopicFilter = "a/#", QoS = MqttQualityOfService.AtMostOnce, NoLocal = v5, RetainAsPublished = v5, RetainHandling = v5 ? MqttRetainHandling.DoNotSend : 0 },
            ],
            Properties = v5 ? new MqttProperties { SubscriptionIdentifiers = [42] } : MqttProperties.Empty,
        };
        yield return new SubAckPacket { PacketId = 1, ReasonCodes = [MqttReasonCode.GrantedQoS1, MqttReasonCode.Success, MqttReasonCode.UnspecifiedError], Properties = props };
        yield return new UnsubscribePacket { PacketId = 2, TopicFilters = ["a/#", "b"] };
        yield return new UnsubAckPacket { PacketId = 2, ReasonCodes = v5 ? [MqttReasonCode.Success, MqttReasonCode.NoSubscriptionExisted] : [], Properties = props };
        yield return PingReqPacket.Instance;
        yield return PingRespPacket.Instance;
        yield return new DisconnectPacket();
        if (v5)
        {
            yield return new DisconnectPacket { ReasonCode = MqttReasonCode.SessionTakenOver };
            yield return new DisconnectPacket { ReasonCode = MqttReasonCode.ServerMoved, Properties = new MqttProperties { ServerReference = "other:1883", ReasonString = "moved", SessionExpiryInterval = 0 } };
            yield return new AuthPacket();
            yield return new AuthPacket { ReasonCode = MqttReasonCode.ContinueAuthentication, Properties = new MqttProperties { AuthenticationMethod = "SCRAM", AuthenticationData = new byte[] { 9 } } };
        }
    }

    public static byte[] Concatenated(MqttProtocolVersion v) =>
        All(v).SelectMany(p => MqttPacketWriter.ToArray(p, v)).ToArray();
}
