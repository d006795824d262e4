using Gateway.Mqtt.Protocol;

namespace Gateway.Mqtt.Client;

/// <summary>
/// Client settings, bound from the <c>Mqtt</c> configuration section (DESIGN.md "Configuration").
/// Plain settable properties so Microsoft.Extensions.Configuration can bind them; checked by
/// <see cref="Validate"/> at start-up.
/// </summary>
public sealed class MqttClientOptions
{
    /// <summary>Broker host; empty means "no upstream, buffer only" (the host decides not to start a client).</summary>
    public string Host { get; set; } = "";
    public int Port { get; set; } = 1883;
    /// <summary>Empty: the broker assigns one (MQTT 5 §3.1.3.1; 3.1.1 only with CleanStart).</summary>
    public string ClientId { get; set; } = "";
    /// <summary>ThingsBoard: the gateway device's access token.</summary>
    public string? Username { get; set; }
    /// <summary>Never logged.</summary>
    public string? Password { get; set; }
    /// <summary>"5" (default) or "3.1.1": the protocol's own names, and the only two accepted.</summary>
    public string ProtocolVersion { get; set; } = "5";
    public int KeepAliveSeconds { get; set; } = 60;
    /// <summary>
    /// Start a new session on every connect. Default true: unacknowledged publishes are sent again by
    /// this client on the next connection, so nothing depends on the broker keeping a session.
    /// </summary>
    public bool CleanStart { get; set; } = true;
    /// <summary>MQTT 5 Session Expiry Interval in seconds (0 = session ends with the connection).</summary>
    public uint SessionExpirySeconds { get; set; }
    public MqttTlsOptions Tls { get; set; } = new();
    public double ReconnectMinSeconds { get; set; } = 1;
    public double ReconnectMaxSeconds { get; set; } = 60;
    /// <summary>A connection that lasted this long resets the backoff to the minimum.</summary>
    public double ReconnectResetAfterSeconds { get; set; } = 60;
    public double ConnectTimeoutSeconds { get; set; } = 10;
    /// <summary>Upper bound on unacknowledged QoS 1 publishes; the broker's Receive Maximum lowers it further.</summary>
    public int MaxInflight { get; set; } = 100;
    /// <summary>Capacity of <see cref="MqttClient.Messages"/> (see its back-pressure policy).</summary>
    public int InboundCapacity { get; set; } = 1000;
    /// <summary>Optional Will: published by the broker if this client vanishes without DISCONNECT.</summary>
    public string? WillTopic { get; set; }
    public string? WillPayload { get; set; }
    public bool WillRetain { get; set; }

    /// <summary>The parsed <see cref="ProtocolVersion"/> (call <see cref="Validate"/> first).</summary>
    public MqttProtocolVersion Version => ProtocolVersion.Trim() == "3.1.1" ? MqttProtocolVersion.V311 : MqttProtocolVersion.V500;

    /// <summary>One line per problem, each naming its key: <c>Mqtt:Port: 70000 is not a port</c>. Empty when valid.</summary>
    public IReadOnlyList<string> Validate(string section = "Mqtt")
    {
        var errors = new List<string>();
        void Error(string key, string message) => errors.Add($"{section}:{key}: {message}");
        bool v5 = ProtocolVersion.Trim() == "5";
        // One vocabulary in config, docs and logs: not the wire's protocol level (4, 5) nor "5.0".
        if (!v5 && ProtocolVersion.Trim() != "3.1.1") Error("ProtocolVersion", $"'{ProtocolVersion}' is not 5 or 3.1.1");
        if (Port is < 1 or > 65535) Error("Port", $"{Port} is not a port");
        if (Host.Length > 0 && Uri.CheckHostName(Host) == UriHostNameType.Unknown) Error("Host", $"{Host} is not a host name or address");
        if (System.Text.Encoding.UTF8.GetByteCount(ClientId) > ushort.MaxValue) Error("ClientId", "longer than 65,535 bytes");
        // MQTT 3.1.1 §3.1.3.1: an empty client id requires CleanSession = 1.
        if (!v5 && ClientId.Length == 0 && !CleanStart) Error("ClientId", "empty, which MQTT 3.1.1 allows only with CleanStart=true");
        if (!v5 && Password is not null && Username is null) Error("Password", "set without Username, which MQTT 3.1.1 forbids (§3.1.2.9)");
        if (!v5 && SessionExpirySeconds != 0) Error("SessionExpirySeconds", "is MQTT 5 only; set ProtocolVersion to 5 or remove it");
        // MQTT §3.1.2.10 allows 0 (no keep alive), but then a stalled link is never detected, and MQTTnet 5.2
        // drops a 0-keep-alive connection within a second when mosquitto assigns a Server Keep Alive.
        if (KeepAliveSeconds is < 1 or > ushort.MaxValue) Error("KeepAliveSeconds", $"{KeepAliveSeconds} is not 1..65535 (a dead link is detected after 1.5 x this)");
        if (ReconnectMinSeconds <= 0) Error("ReconnectMinSeconds", $"{ReconnectMinSeconds} must be positive");
        if (ReconnectMaxSeconds < ReconnectMinSeconds) Error("ReconnectMaxSeconds", $"{ReconnectMaxSeconds} is below ReconnectMinSeconds ({ReconnectMinSeconds})");
        if (ConnectTimeoutSeconds <= 0) Error("ConnectTimeoutSeconds", $"{ConnectTimeoutSeconds} must be positive");
        if (MaxInflight is < 1 or > ushort.MaxValue) Error("MaxInflight", $"{MaxInflight} is not 1..65535");
        if (InboundCapacity < 1) Error("InboundCapacity", $"{InboundCapacity} must be at least 1");
        if (WillTopic is not null && (WillTopic.Length == 0 || WillTopic.AsSpan().IndexOfAny('+', '#') >= 0)) Error("WillTopic", $"'{WillTopic}' is not a topic name");
        if (Tls.Enabled)
        {
            if (Tls.CaFile is { Length: > 0 } ca && !File.Exists(ca)) Error("Tls:CaFile", $"{ca} does not exist");
            if (Tls.CertificateFile is { Length: > 0 } cert && !File.Exists(cert)) Error("Tls:CertificateFile", $"{cert} does not exist");
            if (Tls.KeyFile is { Length: > 0 } key && !File.Exists(key)) Error("Tls:KeyFile", $"{key} does not exist");
            if (Tls.KeyFile is { Length: > 0 } && Tls.CertificateFile is not { Length: > 0 }) Error("Tls:KeyFile", "set without Tls:CertificateFile");
        }
        return errors;
    }

    /// <summary>Never prints the password.</summary>
    public override string ToString() =>
        $"{Host}:{Port} client id '{ClientId}' user '{Username}' password {(Password is null ? "none" : "***")} v{ProtocolVersion} keep alive {KeepAliveSeconds} s{(Tls.Enabled ? " TLS" : "")}";
}
