using Gateway.TestKit;
using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Gateway.Devices.Http;

namespace Gateway.Devices.Tests.Http;

/// <summary>HTTPS on a separate port from PEM files (<c>Http:Tls:*</c>), with a self-signed certificate made here.</summary>
public sealed class TlsTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("gw-http-tls-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private (HttpTlsOptions Options, X509Certificate2 Certificate) MakeCertificate()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=localhost", key, HashAlgorithmName.SHA256);
        var san = new SubjectAlternativeNameBuilder();
        san.AddIpAddress(IPAddress.Loopback);
        request.CertificateExtensions.Add(san.Build());
        var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddDays(1));
        var options = new HttpTlsOptions { Port = 0, CertificateFile = Path.Combine(_directory, "cert.pem"), KeyFile = Path.Combine(_directory, "key.pem") };
        File.WriteAllText(options.CertificateFile, certificate.ExportCertificatePem());
        File.WriteAllText(options.KeyFile, key.ExportPkcs8PrivateKeyPem());
        return (options, certificate);
    }

    [Fact]
    public async Task Https_ServesTheApi_WithTheConfiguredCertificate_PlainHttpStaysOn()
    {
        var (tls, expected) = MakeCertificate();
        Assert.Empty(new HttpTlsOptions { Port = 8443, CertificateFile = tls.CertificateFile, KeyFile = tls.KeyFile }.Validate());
        using var gateway = new Support.Gateway();
        var token = await gateway.AddDeviceAsync("Dev A");
        await using var host = await HttpHost.StartAsync(gateway, tls: new HttpTlsOptions { Port = FreePort.Tcp(), CertificateFile = tls.CertificateFile, KeyFile = tls.KeyFile });

        string? seen = null;
        using var handler = new HttpClientHandler
        {
            ServerCertificateCustomValidationCallback = (_, certificate, _, _) => (seen = certificate?.Thumbprint) == expected.Thumbprint,
        };
        using var client = new HttpClient(handler) { BaseAddress = host.HttpsAddress };
        var response = await client.PostAsync($"/api/v1/{token}/telemetry", new StringContent("""{"secure":true}"""));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(expected.Thumbprint, seen);
        Assert.Equal("https", host.HttpsAddress!.Scheme);
        Assert.Equal(HttpStatusCode.OK, (await host.Client.PostAsync($"/api/v1/{token}/telemetry", new StringContent("""{"plain":true}"""))).StatusCode);
        Assert.Equal(2, (await gateway.RowTextsAsync(Storage.Outbox.OutboxMessageKind.Telemetry)).Count);
    }

    [Fact]
    public void Validate_NamesTheKey()
    {
        Assert.Empty(new HttpTlsOptions().Validate()); // off by default
        Assert.Equal(["Http:Tls:CertificateFile is required when Http:Tls:Port is set"], new HttpTlsOptions { Port = 8443 }.Validate());
        Assert.Equal(["Http:Tls:CertificateFile: '/nonexistent.pem' does not exist"], new HttpTlsOptions { Port = 8443, CertificateFile = "/nonexistent.pem" }.Validate());
        Assert.Equal(["Http:Tls:Port: 70000 is not a port"], new HttpTlsOptions { Port = 70000 }.Validate());
    }
}
