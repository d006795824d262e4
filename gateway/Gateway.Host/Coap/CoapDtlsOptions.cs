using Gateway.Coap.Transport.Dtls;

namespace Gateway.Host.Coap;

/// <summary>The <c>Coap:Dtls</c> configuration section: CoAP over DTLS 1.2 (coaps, RFC 7252 §9) on <c>Coap:Address</c>.</summary>
public sealed class CoapDtlsOptions
{
    public const string Section = "Coap:Dtls";

    public bool Enabled { get; set; }

    public int Port { get; set; } = 5684;

    /// <summary>Server certificate (PEM, chain after it); with <see cref="KeyFile"/> the certificate suites are offered. Without: PSK only.</summary>
    public string? CertificateFile { get; set; }

    public string? KeyFile { get; set; }

    /// <summary>CAs (PEM) whose client certificates map to the device named by their CN.</summary>
    public string? ClientCaFile { get; set; }

    public int MaxSessions { get; set; } = 2000;
    public int MaxHandshakes { get; set; } = 32;
    public int HandshakeTimeoutSeconds { get; set; } = 10;
    public int SessionIdleTimeoutSeconds { get; set; } = 3600;

    /// <summary>RFC 9146 connection id length in bytes (0 = none).</summary>
    public int ConnectionIdLength { get; set; } = 6;

    public IEnumerable<string> Validate()
    {
        if (!Enabled) yield break;
        if (Port is < 0 or > 65535) yield return $"{Section}:Port: {Port} is not a port";
        if ((CertificateFile is null) != (KeyFile is null)) yield return $"{Section}:CertificateFile and {Section}:KeyFile go together";
        foreach (var (key, file) in new[] { ("CertificateFile", CertificateFile), ("KeyFile", KeyFile), ("ClientCaFile", ClientCaFile) })
        {
            if (file is not null && !File.Exists(file)) yield return $"{Section}:{key}: {file} does not exist";
        }
        if (ClientCaFile is not null && CertificateFile is null) yield return $"{Section}:ClientCaFile: client certificates need a server certificate (CertificateFile, KeyFile)";
        foreach (var problem in ToTransportOptions().Validate()) yield return $"{Section}: {problem}";
    }

    public DtlsServerOptions ToTransportOptions() => new()
    {
        MaxSessions = MaxSessions,
        MaxHandshakes = MaxHandshakes,
        HandshakeTimeout = TimeSpan.FromSeconds(HandshakeTimeoutSeconds),
        SessionIdleTimeout = TimeSpan.FromSeconds(SessionIdleTimeoutSeconds),
        ConnectionIdLength = ConnectionIdLength,
    };
}
