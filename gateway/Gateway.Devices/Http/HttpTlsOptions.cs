using System.Security.Cryptography.X509Certificates;

namespace Gateway.Devices.Http;

/// <summary>
/// Optional HTTPS for the device API (configuration section <c>Http:Tls</c>): a second Kestrel listener on
/// <see cref="Port"/> with the certificate and key from PEM files; plain HTTP stays on <c>Http:Port</c>.
/// Port 0 (default) = no HTTPS listener.
/// </summary>
public sealed class HttpTlsOptions
{
    public const string Section = "Http:Tls";

    public int Port { get; set; }

    /// <summary>PEM certificate (chain allowed: the leaf first).</summary>
    public string? CertificateFile { get; set; }

    /// <summary>PEM private key (PKCS#8, PKCS#1 or SEC1, unencrypted); null when it is in <see cref="CertificateFile"/>.</summary>
    public string? KeyFile { get; set; }

    public bool Enabled => Port != 0;

    public IEnumerable<string> Validate()
    {
        if (Port is < 0 or > 65535)
        {
            yield return $"{Section}:Port: {Port} is not a port";
            yield break;
        }
        if (!Enabled) yield break;
        if (string.IsNullOrWhiteSpace(CertificateFile)) yield return $"{Section}:CertificateFile is required when {Section}:Port is set";
        else if (!File.Exists(CertificateFile)) yield return $"{Section}:CertificateFile: '{CertificateFile}' does not exist";
        if (KeyFile is not null && !File.Exists(KeyFile)) yield return $"{Section}:KeyFile: '{KeyFile}' does not exist";
    }

    /// <summary>Loads the certificate with its key (<see cref="X509Certificate2.CreateFromPemFile"/>).</summary>
    public X509Certificate2 LoadCertificate()
    {
        if (string.IsNullOrWhiteSpace(CertificateFile)) throw new InvalidOperationException($"{Section}:CertificateFile is not set");
        return X509Certificate2.CreateFromPemFile(CertificateFile, KeyFile);
    }
}
