using Gateway.Mqtt.Packets;

namespace Gateway.Mqtt.Protocol;

/// <summary>
/// MQTT 5 properties (§2.2.2): a Variable Byte Integer length, then (identifier, value) pairs.
/// Which packet may carry which property is table 2-4 of §2.2.2.2; a property in the wrong packet,
/// an unknown identifier, a repeated single-valued property or an out-of-range value is a
/// Malformed Packet / Protocol Error (§2.2.2.2 and each property's own section).
/// </summary>
internal static class MqttPropertiesCodec
{
    /// <summary>Pseudo packet type for Will Properties (§3.1.3.2); 0 is a reserved packet type so it is free.</summary>
    public const int WillContext = 0;

    private const int Connect = 1 << (int)MqttPacketType.Connect, ConnAck = 1 << (int)MqttPacketType.ConnAck,
        Publish = 1 << (int)MqttPacketType.Publish, PubAck = 1 << (int)MqttPacketType.PubAck,
        Subscribe = 1 << (int)MqttPacketType.Subscribe, SubAck = 1 << (int)MqttPacketType.SubAck,
        Unsubscribe = 1 << (int)MqttPacketType.Unsubscribe, UnsubAck = 1 << (int)MqttPacketType.UnsubAck,
        Disconnect = 1 << (int)MqttPacketType.Disconnect, Auth = 1 << (int)MqttPacketType.Auth, Will = 1 << WillContext,
        PubRecRelComp = (1 << (int)MqttPacketType.PubRec) | (1 << (int)MqttPacketType.PubRel) | (1 << (int)MqttPacketType.PubComp);

    // §2.2.2.2 table 2-4: the packets each property may appear in.
    private static int AllowedIn(MqttPropertyId id) => id switch
    {
        MqttPropertyId.PayloadFormatIndicator or MqttPropertyId.MessageExpiryInterval or MqttPropertyId.ContentType
            or MqttPropertyId.ResponseTopic or MqttPropertyId.CorrelationData => Publish | Will,
        MqttPropertyId.SubscriptionIdentifier => Publish | Subscribe,
        MqttPropertyId.SessionExpiryInterval => Connect | ConnAck | Disconnect,
        MqttPropertyId.AssignedClientIdentifier or MqttPropertyId.ServerKeepAlive or MqttPropertyId.ResponseInformation
            or MqttPropertyId.MaximumQoS or MqttPropertyId.RetainAvailable or MqttPropertyId.WildcardSubscriptionAvailable
            or MqttPropertyId.SubscriptionIdentifierAvailable or MqttPropertyId.SharedSubscriptionAvailable => ConnAck,
        MqttPropertyId.AuthenticationMethod or MqttPropertyId.AuthenticationData => Connect | ConnAck | Auth,
        MqttPropertyId.RequestProblemInformation or MqttPropertyId.RequestResponseInformation => Connect,
        MqttPropertyId.WillDelayInterval => Will,
        MqttPropertyId.ServerReference => ConnAck | Disconnect,
        MqttPropertyId.ReasonString => ConnAck | PubAck | PubRecRelComp | SubAck | UnsubAck | Disconnect | Auth,
        MqttPropertyId.ReceiveMaximum or MqttPropertyId.TopicAliasMaximum or MqttPropertyId.MaximumPacketSize => Connect | ConnAck,
        MqttPropertyId.TopicAlias => Publish,
        MqttPropertyId.UserProperty => ~0,
        _ => 0,
    };

    public static MqttProperties Read(ref MqttSpanReader reader, int context)
    {
        uint length = reader.ReadVariableByteInteger();
        if (length > reader.Remaining)
            throw new MqttProtocolException($"property length {length} exceeds the {reader.Remaining} bytes left in the packet (MQTT 5.0 §2.2.2.1)");
        if (length == 0) return MqttProperties.Empty;
        var inner = new MqttSpanReader(reader.ReadBytes((int)length));
        var p = new MqttProperties();
        List<MqttUserProperty>? user = null;
        List<uint>? subscriptionIds = null;
        ulong seen = 0;
        while (inner.Remaining > 0)
        {
            // §2.2.2.2: the identifier is a Variable Byte Integer; every defined one fits in one byte.
            uint raw = inner.ReadVariableByteInteger();
            var id = (MqttPropertyId)raw;
            if (raw > 0x3F || (AllowedIn(id) & (1 << context)) == 0)
                throw new MqttProtocolException($"property 0x{raw:X2} is not allowed in this packet (MQTT 5.0 §2.2.2.2)", MqttReasonCode.ProtocolError);
            bool repeatable = id == MqttPropertyId.UserProperty
                || (id == MqttPropertyId.SubscriptionIdentifier && context == (int)MqttPacketType.Publish);
            if (!repeatable)
            {
                if ((seen & (1UL << (int)raw)) != 0)
                    throw new MqttProtocolException($"property {id} appears more than once (MQTT 5.0 §2.2.2.2)", MqttReasonCode.ProtocolError);
                seen |= 1UL << (int)raw;
            }
            p = id switch
            {
                MqttPropertyId.PayloadFormatIndicator => p with { PayloadFormatIndicator = ReadFlag(ref inner, id, "§3.3.2.3.2") },
                MqttPropertyId.MessageExpiryInterval => p with { MessageExpiryInterval = inner.ReadUInt32() },
                MqttPropertyId.ContentType => p with { ContentType = inner.ReadString() },
                MqttPropertyId.ResponseTopic => p with { ResponseTopic = inner.ReadString() },
                MqttPropertyId.CorrelationData => p with { CorrelationData = inner.ReadBinary() },
                MqttPropertyId.SubscriptionIdentifier => AddSubscriptionId(p, ref inner, ref subscriptionIds),
                MqttPropertyId.SessionExpiryInterval => p with { SessionExpiryInterval = inner.ReadUInt32() },
                MqttPropertyId.AssignedClientIdentifier => p with { AssignedClientIdentifier = inner.ReadString() },
                MqttPropertyId.ServerKeepAlive => p with { ServerKeepAlive = inner.ReadUInt16() },
                MqttPropertyId.AuthenticationMethod => p with { AuthenticationMethod = inner.ReadString() },
                MqttPropertyId.AuthenticationData => p with { AuthenticationData = inner.ReadBinary() },
                MqttPropertyId.RequestProblemInformation => p with { RequestProblemInformation = ReadFlag(ref inner, id, "§3.1.2.11.7") },
                MqttPropertyId.WillDelayInterval => p with { WillDelayInterval = inner.ReadUInt32() },
                MqttPropertyId.RequestResponseInformation => p with { RequestResponseInformation = ReadFlag(ref inner, id, "§3.1.2.11.6") },
                MqttPropertyId.ResponseInformation => p with { ResponseInformation = inner.ReadString() },
                MqttPropertyId.ServerReference => p with { ServerReference = inner.ReadString() },
                MqttPropertyId.ReasonString => p with { ReasonString = inner.ReadString() },
                MqttPropertyId.ReceiveMaximum => p with { ReceiveMaximum = ReadNonZero16(ref inner, id, "§3.2.2.3.3") },
                MqttPropertyId.TopicAliasMaximum => p with { TopicAliasMaximum = inner.ReadUInt16() },
                MqttPropertyId.TopicAlias => p with { TopicAlias = ReadNonZero16(ref inner, id, "§3.3.2.3.4") },
                MqttPropertyId.MaximumQoS => p with { MaximumQoS = ReadFlag(ref inner, id, "§3.2.2.3.4") },
                MqttPropertyId.RetainAvailable => p with { RetainAvailable = ReadFlag(ref inner, id, "§3.2.2.3.5") },
                MqttPropertyId.UserProperty => AddUserProperty(p, ref inner, ref user),
                MqttPropertyId.MaximumPacketSize => p with { MaximumPacketSize = ReadNonZero32(ref inner, id, "§3.2.2.3.6") },
                MqttPropertyId.WildcardSubscriptionAvailable => p with { WildcardSubscriptionAvailable = ReadFlag(ref inner, id, "§3.2.2.3.11") },
                MqttPropertyId.SubscriptionIdentifierAvailable => p with { SubscriptionIdentifierAvailable = ReadFlag(ref inner, id, "§3.2.2.3.12") },
                MqttPropertyId.SharedSubscriptionAvailable => p with { SharedSubscriptionAvailable = ReadFlag(ref inner, id, "§3.2.2.3.13") },
                _ => throw new MqttProtocolException($"unknown property 0x{raw:X2}", MqttReasonCode.ProtocolError),
            };
        }
        return p;
    }

    /// <summary>True when no property would be written (lets PUBACK/DISCONNECT use their short forms).</summary>
    public static bool IsEmpty(MqttProperties p)
    {
        var measure = MqttSpanWriter.Measuring();
        WriteContent(ref measure, p);
        return measure.Position == 0;
    }

    public static void Write(ref MqttSpanWriter writer, MqttProperties p)
    {
        var measure = MqttSpanWriter.Measuring();
        WriteContent(ref measure, p);
        writer.WriteVariableByteInteger((uint)measure.Position);
        WriteContent(ref writer, p);
    }

    // Written in identifier order; the spec allows any order, a fixed one makes bytes predictable.
    private static void WriteContent(ref MqttSpanWriter w, MqttProperties p)
    {
        if (p.PayloadFormatIndicator is { } pfi) { w.WriteByte((byte)MqttPropertyId.PayloadFormatIndicator); w.WriteByte(pfi); }
        if (p.MessageExpiryInterval is { } mei) { w.WriteByte((byte)MqttPropertyId.MessageExpiryInterval); w.WriteUInt32(mei); }
        if (p.ContentType is { } ct) { w.WriteByte((byte)MqttPropertyId.ContentType); w.WriteString(ct); }
        if (p.ResponseTopic is { } rt) { w.WriteByte((byte)MqttPropertyId.ResponseTopic); w.WriteString(rt); }
        if (p.CorrelationData is { } cd) { w.WriteByte((byte)MqttPropertyId.CorrelationData); w.WriteBinary(cd.Span); }
        foreach (uint sid in p.SubscriptionIdentifiers) { w.WriteByte((byte)MqttPropertyId.SubscriptionIdentifier); w.WriteVariableByteInteger(sid); }
        if (p.SessionExpiryInterval is { } sei) { w.WriteByte((byte)MqttPropertyId.SessionExpiryInterval); w.WriteUInt32(sei); }
        if (p.AssignedClientIdentifier is { } aci) { w.WriteByte((byte)MqttPropertyId.AssignedClientIdentifier); w.WriteString(aci); }
        if (p.ServerKeepAlive is { } ska) { w.WriteByte((byte)MqttPropertyId.ServerKeepAlive); w.WriteUInt16(ska); }
        if (p.AuthenticationMethod is { } am) { w.WriteByte((byte)MqttPropertyId.AuthenticationMethod); w.WriteString(am); }
        if (p.AuthenticationData is { } ad) { w.WriteByte((byte)MqttPropertyId.AuthenticationData); w.WriteBinary(ad.Span); }
        if (p.RequestProblemInformation is { } rpi) { w.WriteByte((byte)MqttPropertyId.RequestProblemInformation); w.WriteByte(rpi); }
        if (p.WillDelayInterval is { } wdi) { w.WriteByte((byte)MqttPropertyId.WillDelayInterval); w.WriteUInt32(wdi); }
        if (p.RequestResponseInformation is { } rri) { w.WriteByte((byte)MqttPropertyId.RequestResponseInformation); w.WriteByte(rri); }
        if (p.ResponseInformation is { } ri) { w.WriteByte((byte)MqttPropertyId.ResponseInformation); w.WriteString(ri); }
        if (p.ServerReference is { } sr) { w.WriteByte((byte)MqttPropertyId.ServerReference); w.WriteString(sr); }
        if (p.ReasonString is { } rs) { w.WriteByte((byte)MqttPropertyId.ReasonString); w.WriteString(rs); }
        if (p.ReceiveMaximum is { } rm) { w.WriteByte((byte)MqttPropertyId.ReceiveMaximum); w.WriteUInt16(rm); }
        if (p.TopicAliasMaximum is { } tam) { w.WriteByte((byte)MqttPropertyId.TopicAliasMaximum); w.WriteUInt16(tam); }
        if (p.TopicAlias is { } ta) { w.WriteByte((byte)MqttPropertyId.TopicAlias); w.WriteUInt16(ta); }
        if (p.MaximumQoS is { } mq) { w.WriteByte((byte)MqttPropertyId.MaximumQoS); w.WriteByte(mq); }
        if (p.RetainAvailable is { } ra) { w.WriteByte((byte)MqttPropertyId.RetainAvailable); w.WriteByte(ra); }
        foreach (var up in p.UserProperties) { w.WriteByte((byte)MqttPropertyId.UserProperty); w.WriteString(up.Name); w.WriteString(up.Value); }
        if (p.MaximumPacketSize is { } mps) { w.WriteByte((byte)MqttPropertyId.MaximumPacketSize); w.WriteUInt32(mps); }
        if (p.WildcardSubscriptionAvailable is { } wsa) { w.WriteByte((byte)MqttPropertyId.WildcardSubscriptionAvailable); w.WriteByte(wsa); }
        if (p.SubscriptionIdentifierAvailable is { } sia) { w.WriteByte((byte)MqttPropertyId.SubscriptionIdentifierAvailable); w.WriteByte(sia); }
        if (p.SharedSubscriptionAvailable is { } ssa) { w.WriteByte((byte)MqttPropertyId.SharedSubscriptionAvailable); w.WriteByte(ssa); }
    }

    // Byte properties that are booleans or QoS 0/1: any other value is a Protocol Error (section given).
    private static byte ReadFlag(ref MqttSpanReader r, MqttPropertyId id, string section)
    {
        byte value = r.ReadByte();
        if (value > 1) throw new MqttProtocolException($"{id} = {value}, must be 0 or 1 (MQTT 5.0 {section})", MqttReasonCode.ProtocolError);
        return value;
    }

    private static ushort ReadNonZero16(ref MqttSpanReader r, MqttPropertyId id, string section)
    {
        ushort value = r.ReadUInt16();
        if (value == 0) throw new MqttProtocolException($"{id} = 0 (MQTT 5.0 {section})", MqttReasonCode.ProtocolError);
        return value;
    }

    private static uint ReadNonZero32(ref MqttSpanReader r, MqttPropertyId id, string section)
    {
        uint value = r.ReadUInt32();
        if (value == 0) throw new MqttProtocolException($"{id} = 0 (MQTT 5.0 {section})", MqttReasonCode.ProtocolError);
        return value;
    }

    private static MqttProperties AddUserProperty(MqttProperties p, ref MqttSpanReader r, ref List<MqttUserProperty>? list)
    {
        list ??= [];
        list.Add(new MqttUserProperty(r.ReadString(), r.ReadString()));
        return p with { UserProperties = list };
    }

    private static MqttProperties AddSubscriptionId(MqttProperties p, ref MqttSpanReader r, ref List<uint>? list)
    {
        uint value = r.ReadVariableByteInteger();
        // §3.8.2.1.2: "It is a Protocol Error if the Subscription Identifier has a value of 0".
        if (value == 0) throw new MqttProtocolException("Subscription Identifier = 0 (MQTT 5.0 §3.8.2.1.2)", MqttReasonCode.ProtocolError);
        list ??= [];
        list.Add(value);
        return p with { SubscriptionIdentifiers = list };
    }
}
