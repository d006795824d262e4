using System.Buffers;
using System.Net;
using System.Net.Security;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using Gateway.Mqtt.Protocol;
using MQTTnet;
using MQTTnet.Packets;
using MQTTnet.Protocol;
using WireOptions = MQTTnet.MqttClientOptions;
using WireVersion = MQTTnet.Formatter.MqttProtocolVersion;

namespace Gateway.Mqtt.Client;

/// <summary>
/// The one place that maps between our application model and MQTTnet's (MQTTnet's own split of
/// <c>MqttApplicationMessage</c> and packets, one level up): options, messages, subscriptions,
/// reason codes. MQTTnet's reason-code enums carry the MQTT 5 wire values, so a cast is the mapping.
/// </summary>
internal static class MqttWire
{
    /// <summary>MQTTnet client options for <paramref name="options"/>; certificates are read here, once, so a bad file fails at start-up.</summary>
    public static WireOptions BuildOptions(MqttClientOptions options)
    {
        bool v5 = options.Version == MqttProtocolVersion.V500;
        var wire = new WireOptions
        {
            ProtocolVersion = v5 ? WireVersion.V500 : WireVersion.V311,
            // Empty: the broker assigns one (MQTTnet would otherwise invent a GUID per client instance).
            ClientId = options.ClientId,
            CleanSession = options.CleanStart,
            KeepAlivePeriod = TimeSpan.FromSeconds(options.KeepAliveSeconds),
            // Used by MQTTnet only where it is handed no cancellable token (DISCONNECT on stop).
            Timeout = TimeSpan.FromSeconds(options.ConnectTimeoutSeconds),
            Credentials = options.Username is null && options.Password is null
                ? null
                // Null stays null: an empty byte array would be an empty but present password.
                : new MqttClientCredentials(options.Username, options.Password is null ? null : System.Text.Encoding.UTF8.GetBytes(options.Password)),
            ChannelOptions = new MqttClientTcpOptions
            {
                RemoteEndpoint = new DnsEndPoint(options.Host, options.Port),
                NoDelay = true,
                StreamProvider = BrokerSocket.Instance,
                TlsOptions = BuildTls(options),
            },
        };
        if (v5)
        {
            wire.SessionExpiryInterval = options.SessionExpirySeconds;
            // §3.1.2.11.3: bounds how many QoS 1 messages the broker pushes unacknowledged, so MQTTnet's
            // unbounded receive queue stays bounded by our inbound capacity.
            wire.ReceiveMaximum = (ushort)Math.Min(ushort.MaxValue, options.InboundCapacity);
        }
        if (options.WillTopic is not null)
        {
            wire.WillTopic = options.WillTopic;
            wire.WillPayload = System.Text.Encoding.UTF8.GetBytes(options.WillPayload ?? "");
            wire.WillQualityOfServiceLevel = MqttQualityOfServiceLevel.AtLeastOnce;
            wire.WillRetain = options.WillRetain;
        }
        return wire;
    }

    private static MqttClientTlsOptions BuildTls(MqttClientOptions options)
    {
        var tls = options.Tls;
        if (!tls.Enabled) return new MqttClientTlsOptions { UseTls = false };
        X509Certificate2Collection? roots = null;
        if (tls.CaFile is { Length: > 0 } caFile)
        {
            roots = [];
            roots.ImportFromPemFile(caFile);
            if (roots.Count == 0) throw new InvalidOperationException($"Mqtt:Tls:CaFile: {caFile} holds no certificate");
        }
        var wire = new MqttClientTlsOptions
        {
            UseTls = true,
            TargetHost = tls.ServerName ?? options.Host,
            SslProtocol = SslProtocols.Tls12 | SslProtocols.Tls13,
            RevocationMode = X509RevocationMode.NoCheck,
            CertificateValidationHandler = e => ServerCertificateIsTrusted(e.Certificate, e.Chain, e.SslPolicyErrors, roots, tls.CheckHostName),
        };
        if (tls.CertificateFile is { Length: > 0 } certFile)
            wire.ClientCertificatesProvider = new DefaultMqttCertificatesProvider([X509Certificate2.CreateFromPemFile(certFile, tls.KeyFile)]);
        return wire;
    }

    /// <summary>
    /// With a CA file only that CA (or bundle) is trusted: the chain is rebuilt against it alone, since
    /// a private CA is a chain error for the system store. Without one, the system store decides.
    /// </summary>
    internal static bool ServerCertificateIsTrusted(X509Certificate? certificate, X509Chain? chain, SslPolicyErrors errors, X509Certificate2Collection? roots, bool checkHostName)
    {
        if (!checkHostName) errors &= ~SslPolicyErrors.RemoteCertificateNameMismatch;
        if (roots is null) return errors == SslPolicyErrors.None;
        if (certificate is null || (errors & (SslPolicyErrors.RemoteCertificateNotAvailable | SslPolicyErrors.RemoteCertificateNameMismatch)) != 0) return false;
        using var custom = new X509Chain();
        custom.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        custom.ChainPolicy.CustomTrustStore.AddRange(roots);
        custom.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        if (chain is not null)
            foreach (var element in chain.ChainElements) custom.ChainPolicy.ExtraStore.Add(element.Certificate);
        return custom.Build(certificate as X509Certificate2 ?? X509CertificateLoader.LoadCertificate(certificate.GetRawCertData()));
    }

    public static MqttApplicationMessage ToWire(MqttMessage message)
    {
        var wire = new MqttApplicationMessage
        {
            Topic = message.Topic,
            // No copy: the caller's buffer is only read while the PUBLISH is written.
            Payload = message.Payload.IsEmpty ? ReadOnlySequence<byte>.Empty : new ReadOnlySequence<byte>(message.Payload),
            QualityOfServiceLevel = (MqttQualityOfServiceLevel)message.QoS,
            Retain = message.Retain,
            ContentType = message.ContentType,
            ResponseTopic = message.ResponseTopic,
            CorrelationData = message.CorrelationData?.ToArray(),
            MessageExpiryInterval = message.MessageExpiryInterval ?? 0,
            PayloadFormatIndicator = (MqttPayloadFormatIndicator)(message.PayloadFormatIndicator ?? 0),
        };
        if (message.UserProperties.Count > 0)
            wire.UserProperties = [.. message.UserProperties.Select(p => new MQTTnet.Packets.MqttUserProperty(p.Name, new ReadOnlyMemory<byte>(System.Text.Encoding.UTF8.GetBytes(p.Value))))];
        return wire;
    }

    /// <summary>Copies the payload: MQTTnet's buffer is not ours once the handler returns.</summary>
    public static MqttMessage FromWire(MqttApplicationMessage wire) => new()
    {
        Topic = wire.Topic,
        Payload = wire.Payload.ToArray(),
        QoS = (MqttQualityOfService)wire.QualityOfServiceLevel,
        Retain = wire.Retain,
        ContentType = wire.ContentType,
        ResponseTopic = wire.ResponseTopic,
        CorrelationData = wire.CorrelationData,
        MessageExpiryInterval = wire.MessageExpiryInterval == 0 ? null : wire.MessageExpiryInterval,
        PayloadFormatIndicator = wire.PayloadFormatIndicator == MqttPayloadFormatIndicator.Unspecified ? null : (byte)wire.PayloadFormatIndicator,
        UserProperties = wire.UserProperties is { Count: > 0 } properties ? [.. properties.Select(p => new MqttUserProperty(p.Name, p.ReadValueAsString()))] : [],
    };

    /// <summary>MQTTnet answers Success for a 3.1.1 PUBACK (it has no reason code) and the broker's code on MQTT 5.</summary>
    public static MqttPublishResult ToResult(MqttClientPublishResult result) =>
        result.ReasonCode == MqttClientPublishReasonCode.Success && result.ReasonString is null
            ? MqttPublishResult.Success
            : new MqttPublishResult((MqttReasonCode)(byte)result.ReasonCode, result.ReasonString);

    /// <summary>v5-only options are left out on 3.1.1 (MQTTnet would refuse them), as documented on <see cref="MqttSubscription"/>.</summary>
    public static MqttClientSubscribeOptions ToWire(IReadOnlyList<MqttSubscription> subscriptions, MqttProtocolVersion version)
    {
        bool v5 = version == MqttProtocolVersion.V500;
        var wire = new MqttClientSubscribeOptions();
        foreach (var s in subscriptions)
        {
            wire.TopicFilters.Add(new MqttTopicFilter
            {
                Topic = s.TopicFilter,
                QualityOfServiceLevel = (MqttQualityOfServiceLevel)s.QoS,
                NoLocal = v5 && s.NoLocal,
                RetainAsPublished = v5 && s.RetainAsPublished,
                RetainHandling = v5 ? (MQTTnet.Protocol.MqttRetainHandling)s.RetainHandling : MQTTnet.Protocol.MqttRetainHandling.SendAtSubscribe,
            });
        }
        return wire;
    }

    /// <summary>SUBACK codes in request order (MQTTnet keeps the order of the request).</summary>
    public static IReadOnlyList<MqttReasonCode> ToReasonCodes(MqttClientSubscribeResult result) =>
        [.. result.Items.Select(i => (MqttReasonCode)(byte)i.ResultCode)];
}
