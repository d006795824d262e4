using Gateway.Mqtt.Packets;

namespace Gateway.Mqtt.Protocol;

/// <summary>
/// Decodes one packet body once framing has delimited it. Every rule that makes a packet malformed
/// is checked here with its section number; <see cref="MqttPacketReader"/> owns the framing.
/// </summary>
internal static class MqttPacketDecoder
{
    public static MqttPacket Decode(MqttPacketType type, byte flags, ReadOnlySpan<byte> body, MqttProtocolVersion version)
    {
        bool v5 = version == MqttProtocolVersion.V500;
        var r = new MqttSpanReader(body);
        MqttPacket packet = type switch
        {
            MqttPacketType.Connect => ReadConnect(ref r),
            MqttPacketType.ConnAck => ReadConnAck(ref r, v5),
            MqttPacketType.Publish => ReadPublish(ref r, flags, v5),
            MqttPacketType.PubAck => ReadPubAck(ref r, v5),
            MqttPacketType.Subscribe => ReadSubscribe(ref r, v5),
            MqttPacketType.SubAck => ReadSubAck(ref r, v5),
            MqttPacketType.Unsubscribe => ReadUnsubscribe(ref r, v5),
            MqttPacketType.UnsubAck => ReadUnsubAck(ref r, v5),
            MqttPacketType.PingReq => PingReqPacket.Instance,
            MqttPacketType.PingResp => PingRespPacket.Instance,
            MqttPacketType.Disconnect => ReadDisconnect(ref r, v5),
            MqttPacketType.Auth when v5 => ReadAuth(ref r),
            // QoS 2 is never requested or sent by this client (it subscribes and publishes with 0 or 1),
            // so PUBREC/PUBREL/PUBCOMP can only be a protocol violation (MQTT 5.0 §4.3.3).
            MqttPacketType.PubRec or MqttPacketType.PubRel or MqttPacketType.PubComp =>
                throw new MqttProtocolException($"{type} received, but this client never uses QoS 2", MqttReasonCode.ProtocolError),
            // 3.1.1 §2.2.1: type 15 is reserved.
            _ => throw new MqttProtocolException($"packet type {(int)type} is reserved (MQTT 3.1.1 §2.2.1)"),
        };
        if (r.Remaining != 0)
            throw new MqttProtocolException($"{type} has {r.Remaining} unexpected trailing bytes");
        return packet;
    }

    private static ConnectPacket ReadConnect(ref MqttSpanReader r)
    {
        // §3.1.2.1: protocol name "MQTT" (both versions).
        if (r.ReadString() != "MQTT")
            throw new MqttProtocolException("CONNECT protocol name is not \"MQTT\" (MQTT 5.0 §3.1.2.1)", MqttReasonCode.UnsupportedProtocolVersion);
        byte level = r.ReadByte();
        if (level is not (4 or 5))
            throw new MqttProtocolException($"CONNECT protocol level {level} (MQTT 5.0 §3.1.2.2)", MqttReasonCode.UnsupportedProtocolVersion);
        var version = (MqttProtocolVersion)level;
        bool v5 = version == MqttProtocolVersion.V500;
        byte flags = r.ReadByte();
        // §3.1.2.3 (both versions): the reserved flag bit 0 MUST be 0.
        if ((flags & 0x01) != 0) throw new MqttProtocolException("CONNECT reserved flag is set (MQTT 5.0 §3.1.2.3, 3.1.1 §3.1.2.3)");
        bool willFlag = (flags & 0x04) != 0;
        var willQoS = (MqttQualityOfService)((flags >> 3) & 0x03);
        bool willRetain = (flags & 0x20) != 0;
        bool hasPassword = (flags & 0x40) != 0, hasUsername = (flags & 0x80) != 0;
        // §3.1.2.6: Will QoS 3 is malformed; §3.1.2.5/3.1.2.7: without a Will, QoS and Retain MUST be 0.
        if (willQoS == (MqttQualityOfService)3) throw new MqttProtocolException("CONNECT Will QoS 3 (MQTT 5.0 §3.1.2.6)");
        if (!willFlag && (willQoS != 0 || willRetain))
            throw new MqttProtocolException("CONNECT Will QoS/Retain set without Will Flag (MQTT 5.0 §3.1.2.6, §3.1.2.7)");
        // 3.1.1 §3.1.2.9: "If the User Name Flag is set to 0, the Password Flag MUST be set to 0".
        if (!v5 && hasPassword && !hasUsername)
            throw new MqttProtocolException("CONNECT password without user name (MQTT 3.1.1 §3.1.2.9)");
        ushort keepAlive = r.ReadUInt16();
        var properties = v5 ? MqttPropertiesCodec.Read(ref r, (int)MqttPacketType.Connect) : MqttProperties.Empty;
        string clientId = r.ReadString();
        MqttWill? will = null;
        if (willFlag)
        {
            var willProperties = v5 ? MqttPropertiesCodec.Read(ref r, MqttPropertiesCodec.WillContext) : MqttProperties.Empty;
            string topic = r.ReadString();
            byte[] payload = r.ReadBinary();
            will = new MqttWill { Topic = topic, Payload = payload, QoS = willQoS, Retain = willRetain, Properties = willProperties };
        }
        string? username = hasUsername ? r.ReadString() : null;
        // Typed as a nullable memory explicitly: a null byte[] would convert to an empty, *present* password.
        ReadOnlyMemory<byte>? password = hasPassword ? (ReadOnlyMemory<byte>?)r.ReadBinary() : null;
        return new ConnectPacket
        {
            ProtocolVersion = version, ClientId = clientId, KeepAliveSeconds = keepAlive, CleanStart = (flags & 0x02) != 0,
            Username = username, Password = password, Will = will, Properties = properties,
        };
    }

    private static ConnAckPacket ReadConnAck(ref MqttSpanReader r, bool v5)
    {
        byte ackFlags = r.ReadByte();
        // §3.2.2.1 (both versions): bits 7–1 are reserved and MUST be 0.
        if ((ackFlags & 0xFE) != 0) throw new MqttProtocolException("CONNACK reserved acknowledge flags set (MQTT 5.0 §3.2.2.1)");
        byte code = r.ReadByte();
        MqttReasonCode reason;
        if (v5) reason = (MqttReasonCode)code;
        else if (!MqttReasonCodes.TryFromV311ConnectReturnCode(code, out reason))
            throw new MqttProtocolException($"CONNACK return code {code} is reserved (MQTT 3.1.1 §3.2.2.3)");
        // A 3.1.1-only broker answers a v5 CONNECT with its own 2-byte CONNACK (return code 1,
        // "unacceptable protocol level"). Reading that without a property length lets the client
        // report the real cause instead of "malformed packet" (MQTT 5.0 §3.1.4: a server that does
        // not support the level may answer in its own version).
        var properties = v5 && r.Remaining > 0 ? MqttPropertiesCodec.Read(ref r, (int)MqttPacketType.ConnAck) : MqttProperties.Empty;
        return new ConnAckPacket { SessionPresent = (ackFlags & 1) != 0, ReasonCode = reason, Properties = properties };
    }

    private static PublishPacket ReadPublish(ref MqttSpanReader r, byte flags, bool v5)
    {
        var qos = (MqttQualityOfService)((flags >> 1) & 0x03);
        // §3.3.1.2 / 3.1.1 §3.3.1.2: QoS 3 is malformed.
        if ((int)qos == 3) throw new MqttProtocolException("PUBLISH with QoS 3 (MQTT 5.0 §3.3.1.2)");
        bool dup = (flags & 0x08) != 0;
        // §3.3.1.1: DUP MUST be 0 for QoS 0.
        if (dup && qos == MqttQualityOfService.AtMostOnce) throw new MqttProtocolException("PUBLISH QoS 0 with DUP set (MQTT 5.0 §3.3.1.1)");
        string topic = r.ReadString();
        // §3.3.2.1: the Topic Name MUST NOT contain wildcard characters.
        if (topic.AsSpan().IndexOfAny('+', '#') >= 0) throw new MqttProtocolException($"PUBLISH topic '{topic}' contains a wildcard (MQTT 5.0 §3.3.2.1)", MqttReasonCode.TopicNameInvalid);
        ushort packetId = 0;
        if (qos != MqttQualityOfService.AtMostOnce)
        {
            packetId = r.ReadUInt16();
            // §2.2.1: a QoS > 0 PUBLISH carries a non-zero Packet Identifier.
            if (packetId == 0) throw new MqttProtocolException("PUBLISH packet identifier 0 (MQTT 5.0 §2.2.1)");
        }
        var properties = v5 ? MqttPropertiesCodec.Read(ref r, (int)MqttPacketType.Publish) : MqttProperties.Empty;
        // 3.1.1 §4.7.3: topic names are at least one character; v5 allows empty only with a Topic Alias (§3.3.2.1).
        if (topic.Length == 0 && properties.TopicAlias is null)
            throw new MqttProtocolException("PUBLISH with an empty topic and no Topic Alias (MQTT 5.0 §3.3.2.1, 3.1.1 §4.7.3)", MqttReasonCode.ProtocolError);
        byte[] payload = r.ReadRest().ToArray();
        return new PublishPacket
        {
            Topic = topic, Payload = payload, QoS = qos, Dup = dup, Retain = (flags & 0x01) != 0,
            PacketId = packetId, Properties = properties,
        };
    }

    private static PubAckPacket ReadPubAck(ref MqttSpanReader r, bool v5)
    {
        ushort id = ReadPacketId(ref r);
        // MQTT 5.0 §3.4.2.1: with Remaining Length 2 the reason code is 0x00 and there are no
        // properties; §3.4.2.2.1: with less than 4 the property length is absent. 3.1.1 has neither.
        var reason = v5 && r.Remaining > 0 ? (MqttReasonCode)r.ReadByte() : MqttReasonCode.Success;
        var properties = v5 && r.Remaining > 0 ? MqttPropertiesCodec.Read(ref r, (int)MqttPacketType.PubAck) : MqttProperties.Empty;
        return new PubAckPacket { PacketId = id, ReasonCode = reason, Properties = properties };
    }

    private static SubscribePacket ReadSubscribe(ref MqttSpanReader r, bool v5)
    {
        ushort id = ReadPacketId(ref r);
        var properties = v5 ? MqttPropertiesCodec.Read(ref r, (int)MqttPacketType.Subscribe) : MqttProperties.Empty;
        var list = new List<MqttSubscription>();
        while (r.Remaining > 0)
        {
            string filter = r.ReadString();
            byte options = r.ReadByte();
            // v5 §3.8.3.1: bits 6–7 reserved, Retain Handling 3 and QoS 3 malformed.
            // 3.1.1 §3.8.3.1: bits 2–7 reserved and QoS 3 malformed.
            if ((options & (v5 ? 0xC0 : 0xFC)) != 0) throw new MqttProtocolException("SUBSCRIBE reserved option bits set (MQTT 5.0 §3.8.3.1, 3.1.1 §3.8.3.1)");
            if ((options & 0x03) == 3) throw new MqttProtocolException("SUBSCRIBE with QoS 3 (MQTT 5.0 §3.8.3.1)");
            if (((options >> 4) & 0x03) == 3) throw new MqttProtocolException("SUBSCRIBE Retain Handling 3 (MQTT 5.0 §3.8.3.1)", MqttReasonCode.ProtocolError);
            list.Add(new MqttSubscription
            {
                TopicFilter = filter, QoS = (MqttQualityOfService)(options & 0x03), NoLocal = (options & 0x04) != 0,
                RetainAsPublished = (options & 0x08) != 0, RetainHandling = (MqttRetainHandling)((options >> 4) & 0x03),
            });
        }
        // §3.8.3 / 3.1.1 §3.8.3: at least one Topic Filter and options pair.
        if (list.Count == 0) throw new MqttProtocolException("SUBSCRIBE without topic filters (MQTT 5.0 §3.8.3)", MqttReasonCode.ProtocolError);
        return new SubscribePacket { PacketId = id, Subscriptions = list, Properties = properties };
    }

    private static SubAckPacket ReadSubAck(ref MqttSpanReader r, bool v5)
    {
        ushort id = ReadPacketId(ref r);
        var properties = v5 ? MqttPropertiesCodec.Read(ref r, (int)MqttPacketType.SubAck) : MqttProperties.Empty;
        var codes = new List<MqttReasonCode>();
        while (r.Remaining > 0)
        {
            byte code = r.ReadByte();
            // 3.1.1 §3.9.3: "SUBACK return codes other than 0x00, 0x01, 0x02 and 0x80 are reserved".
            if (!v5 && code is not (0 or 1 or 2 or 0x80)) throw new MqttProtocolException($"SUBACK return code 0x{code:X2} is reserved (MQTT 3.1.1 §3.9.3)");
            codes.Add((MqttReasonCode)code);
        }
        if (codes.Count == 0) throw new MqttProtocolException("SUBACK without return codes (MQTT 5.0 §3.9.3)", MqttReasonCode.ProtocolError);
        return new SubAckPacket { PacketId = id, ReasonCodes = codes, Properties = properties };
    }

    private static UnsubscribePacket ReadUnsubscribe(ref MqttSpanReader r, bool v5)
    {
        ushort id = ReadPacketId(ref r);
        var properties = v5 ? MqttPropertiesCodec.Read(ref r, (int)MqttPacketType.Unsubscribe) : MqttProperties.Empty;
        var filters = new List<string>();
        while (r.Remaining > 0) filters.Add(r.ReadString());
        // §3.10.3 / 3.1.1 §3.10.3: at least one Topic Filter.
        if (filters.Count == 0) throw new MqttProtocolException("UNSUBSCRIBE without topic filters (MQTT 5.0 §3.10.3)", MqttReasonCode.ProtocolError);
        return new UnsubscribePacket { PacketId = id, TopicFilters = filters, Properties = properties };
    }

    private static UnsubAckPacket ReadUnsubAck(ref MqttSpanReader r, bool v5)
    {
        ushort id = ReadPacketId(ref r);
        if (!v5) return new UnsubAckPacket { PacketId = id };  // 3.1.1 §3.11: packet id only
        var properties = MqttPropertiesCodec.Read(ref r, (int)MqttPacketType.UnsubAck);
        var codes = new List<MqttReasonCode>();
        while (r.Remaining > 0) codes.Add((MqttReasonCode)r.ReadByte());
        return new UnsubAckPacket { PacketId = id, ReasonCodes = codes, Properties = properties };
    }

    private static DisconnectPacket ReadDisconnect(ref MqttSpanReader r, bool v5)
    {
        // MQTT 5.0 §3.14.2.1: Remaining Length 0 means reason 0x00 and no properties; 3.1.1 §3.14: always empty.
        if (!v5 || r.Remaining == 0) return new DisconnectPacket();
        var reason = (MqttReasonCode)r.ReadByte();
        var properties = r.Remaining > 0 ? MqttPropertiesCodec.Read(ref r, (int)MqttPacketType.Disconnect) : MqttProperties.Empty;
        return new DisconnectPacket { ReasonCode = reason, Properties = properties };
    }

    private static AuthPacket ReadAuth(ref MqttSpanReader r)
    {
        // MQTT 5.0 §3.15.2.1: Remaining Length 0 means Success and no properties.
        if (r.Remaining == 0) return new AuthPacket();
        var reason = (MqttReasonCode)r.ReadByte();
        var properties = r.Remaining > 0 ? MqttPropertiesCodec.Read(ref r, (int)MqttPacketType.Auth) : MqttProperties.Empty;
        return new AuthPacket { ReasonCode = reason, Properties = properties };
    }

    private static ushort ReadPacketId(ref MqttSpanReader r)
    {
        ushort id = r.ReadUInt16();
        // MQTT 5.0 §2.2.1 / 3.1.1 §2.3.1: packet identifiers are non-zero.
        if (id == 0) throw new MqttProtocolException("packet identifier 0 (MQTT 5.0 §2.2.1, 3.1.1 §2.3.1)");
        return id;
    }
}
