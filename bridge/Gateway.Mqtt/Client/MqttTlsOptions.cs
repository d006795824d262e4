namespace Gateway.Mqtt.Client;

/// <summary>
/// TLS for the broker connection (config keys <c>Mqtt:Tls:*</c>). TLS 1.2 or 1.3 only. Without a
/// CA file the system trust store is used; with one, only that CA (or bundle) is trusted.
/// </summary>
public sealed class MqttTlsOptions
{
    public bool Enabled { get; set; }
    /// <summary>PEM file with the CA certificate(s) that must sign the broker's certificate.</summary>
    public string? CaFile { get; set; }
    /// <summary>PEM client certificate for mutual TLS (X.509 device credentials); needs <see cref="KeyFile"/>.</summary>
    public string? CertificateFile { get; set; }
    /// <summary>PEM private key of <see cref="CertificateFile"/>.</summary>
    public string? KeyFile { get; set; }
    /// <summary>Name expected in the broker's certificate; defaults to the host name connected to.</summary>
    public string? ServerName { get; set; }
    /// <summary>Check that the certificate names the host. Only for test set-ups; never turn off in production.</summary>
    public bool CheckHostName { get; set; } = true;
}
