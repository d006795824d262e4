using Gateway.Mqtt.Packets;

namespace Gateway.Mqtt.Protocol;

/// <summary>
/// Encodes packet bodies (everything after the remaining length). Runs once measuring and once
/// writing, see <see cref="MqttSpanWriter"/>. v5-only fields are simply not written on 3.1.1.
/// Invalid packets here are programming errors and throw <see cref="ArgumentException"/>.
/// </summary>
internal static class MqttPacketEncoder
{
    /// <summary>Fixed header byte 1 (MQTT 5.0 §2.1.2–2.1.3, 3.1.1 §2.2.1–2.2.2).</summary>
    public static byte FixedHeader(MqttPacket packet) => packet switch
    {
        PublishPacket p => (byte)(((int)MqttPacketType.Publish << 4) | (p.Dup ? 0x08 : 0) | ((int)p.QoS << 1) | (p.Retain ? 1 : 0)),
        // §3.8.1 / §3.10.1: SUBSCRIBE and UNSUBSCRIBE carry the fixed flags 0b0010.
        SubscribePacket or UnsubscribePacket => (byte)(((int)packet.Type << 4) | 0x02),
        _ => (byte)((int)packet.Type << 4),
    };

    public static void WriteBody(ref MqttSpanWriter w, MqttPacket packet, MqttProtocolVersion version)
    {
        bool v5 = version == MqttProtocolVersion.V500;
        switch (packet)
        {
            case ConnectPacket p: WriteConnect(ref w, p); break;
            case ConnAckPacket p: WriteConnAck(ref w, p, v5); break;
            case PublishPacket p: WritePublish(ref w, p, v5); break;
            case PubAckPacket p:
                w.WriteUInt16(RequireId(p.PacketId));
                // §3.4.2.1: reason and property length may be omitted for Success without properties.
                if (v5 && (p.ReasonCode != MqttReasonCode.Success || !MqttPropertiesCodec.IsEmpty(p.Properties)))
                {
                    w.WriteByte((byte)p.ReasonCode);
                    if (!MqttPropertiesCodec.IsEmpty(p.Properties)) MqttPropertiesCodec.Write(ref w, p.Properties);
                }
                break;
            case SubscribePacket p:
                if (p.Subscriptions.Count == 0) throw new ArgumentException("SUBSCRIBE needs at least one filter (MQTT 5.0 §3.8.3)");
                w.WriteUInt16(RequireId(p.PacketId));
                if (v5) MqttPropertiesCodec.Write(ref w, p.Properties);
                foreach (var s in p.Subscriptions)
                {
                    w.WriteString(s.TopicFilter);
                    int options = (int)s.QoS;
                    if (v5) options |= (s.NoLocal ? 0x04 : 0) | (s.RetainAsPublished ? 0x08 : 0) | ((int)s.RetainHandling << 4);
                    w.WriteByte((byte)options);
                }
                break;
            case SubAckPacket p:
                w.WriteUInt16(RequireId(p.PacketId));
                if (v5) MqttPropertiesCodec.Write(ref w, p.Properties);
                foreach (var code in p.ReasonCodes) w.WriteByte((byte)code);
                break;
            case UnsubscribePacket p:
                if (p.TopicFilters.Count == 0) throw new ArgumentException("UNSUBSCRIBE needs at least one filter (MQTT 5.0 §3.10.3)");
                w.WriteUInt16(RequireId(p.PacketId));
                if (v5) MqttPropertiesCodec.Write(ref w, p.Properties);
                foreach (string f in p.TopicFilters) w.WriteString(f);
                break;
            case UnsubAckPacket p:
                w.WriteUInt16(RequireId(p.PacketId));
                if (v5)
                {
                    MqttPropertiesCodec.Write(ref w, p.Properties);
                    foreach (var code in p.ReasonCodes) w.WriteByte((byte)code);
                }
                break;
            case PingReqPacket or PingRespPacket: break;
            case DisconnectPacket p: WriteReasonAndProperties(ref w, p.ReasonCode, p.Properties, v5); break;
            case AuthPacket p:
                if (!v5) throw new ArgumentException("AUTH exists only in MQTT 5 (§3.15)");
                WriteReasonAndProperties(ref w, p.ReasonCode, p.Properties, v5);
                break;
            default: throw new ArgumentException($"cannot encode {packet.GetType().Name}");
        }
    }

    private static void WriteConnect(ref MqttSpanWriter w, ConnectPacket p)
    {
        // The CONNECT's own ProtocolVersion decides its layout: it is what tells the server the version.
        bool v5 = p.ProtocolVersion == MqttProtocolVersion.V500;
        if (!v5 && p.Password is not null && p.Username is null)
            throw new ArgumentException("MQTT 3.1.1 forbids a password without a user name (§3.1.2.9)");
        w.WriteString("MQTT");                                   // §3.1.2.1
        w.WriteByte((byte)p.ProtocolVersion);                    // §3.1.2.2
        int flags = (p.CleanStart ? 0x02 : 0)                    // §3.1.2.3 connect flags
            | (p.Will is not null ? 0x04 : 0)
            | ((int)(p.Will?.QoS ?? 0) << 3)
            | (p.Will is { Retain: true } ? 0x20 : 0)
            | (p.Password is not null ? 0x40 : 0)
            | (p.Username is not null ? 0x80 : 0);
        w.WriteByte((byte)flags);
        w.WriteUInt16(p.KeepAliveSeconds);                       // §3.1.2.10
        if (v5) MqttPropertiesCodec.Write(ref w, p.Properties);  // §3.1.2.11
        w.WriteString(p.ClientId);                               // §3.1.3.1
        if (p.Will is { } will)
        {
            if (v5) MqttPropertiesCodec.Write(ref w, will.Properties);  // §3.1.3.2
            w.WriteString(will.Topic);
            w.WriteBinary(will.Payload.Span);
        }
        if (p.Username is { } user) w.WriteString(user);
        if (p.Password is { } password) w.WriteBinary(password.Span);
    }

    private static void WriteConnAck(ref MqttSpanWriter w, ConnAckPacket p, bool v5)
    {
        w.WriteByte(p.SessionPresent ? (byte)1 : (byte)0);
        if (v5)
        {
            w.WriteByte((byte)p.ReasonCode);
            MqttPropertiesCodec.Write(ref w, p.Properties);
        }
        else
        {
            if (!MqttReasonCodes.TryToV311ConnectReturnCode(p.ReasonCode, out byte code))
                throw new ArgumentException($"{p.ReasonCode} has no MQTT 3.1.1 CONNACK return code (§3.2.2.3)");
            w.WriteByte(code);
        }
    }

    private static void WritePublish(ref MqttSpanWriter w, PublishPacket p, bool v5)
    {
        if ((int)p.QoS > 2) throw new ArgumentException("QoS must be 0, 1 or 2 (MQTT 5.0 §3.3.1.2)");
        w.WriteString(p.Topic);
        if (p.QoS != MqttQualityOfService.AtMostOnce) w.WriteUInt16(RequireId(p.PacketId));  // §3.3.2.2
        if (v5) MqttPropertiesCodec.Write(ref w, p.Properties);
        w.WriteBytes(p.Payload.Span);                                                         // §3.3.3
    }

    // DISCONNECT (§3.14.2.1) and AUTH (§3.15.2.1): Remaining Length 0 stands for Success without properties.
    private static void WriteReasonAndProperties(ref MqttSpanWriter w, MqttReasonCode code, MqttProperties properties, bool v5)
    {
        if (!v5) return;
        bool noProperties = MqttPropertiesCodec.IsEmpty(properties);
        if (code == MqttReasonCode.Success && noProperties) return;
        w.WriteByte((byte)code);
        if (!noProperties) MqttPropertiesCodec.Write(ref w, properties);
    }

    private static ushort RequireId(ushort id) =>
        id != 0 ? id : throw new ArgumentException("packet identifier must be non-zero (MQTT 5.0 §2.2.1)");
}
