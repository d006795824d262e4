namespace Gateway.Interop.Tests.Support;

/// <summary>
/// A throwaway PKI made by <c>openssl</c> (P-256 keys): a CA, a server certificate for 127.0.0.1, a device certificate
/// registered by fingerprint, one issued by the CA with CN <see cref="CaIssuedDevice"/>, an expired one, and a self-signed
/// stranger.
/// </summary>
public sealed class TestPki : IDisposable
{
    public const string CaIssuedDevice = "Ca Device";

    public string Directory { get; } = Path.Combine(Path.GetTempPath(), $"coapgw-pki-{Guid.NewGuid():N}");

    public string CaCertificate => Path.Combine(Directory, "ca.pem");
    public string ServerCertificate => Path.Combine(Directory, "server.pem");
    public string ServerKey => Path.Combine(Directory, "server.key");
    public string DeviceCertificate => Path.Combine(Directory, "device.pem");
    public string DeviceKey => Path.Combine(Directory, "device.key");
    public string CaIssuedCertificate => Path.Combine(Directory, "named.pem");
    public string CaIssuedKey => Path.Combine(Directory, "named.key");
    public string ExpiredCertificate => Path.Combine(Directory, "expired.pem");
    public string ExpiredKey => Path.Combine(Directory, "expired.key");
    public string StrangerCertificate => Path.Combine(Directory, "stranger.pem");
    public string StrangerKey => Path.Combine(Directory, "stranger.key");

    public void Create()
    {
        System.IO.Directory.CreateDirectory(Directory);
        Run("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", Path.Combine(Directory, "ca.key"),
            "-out", CaCertificate, "-days", "2", "-subj", "/CN=coap-gateway test CA", "-addext", "basicConstraints=critical,CA:TRUE");
        Issue("server", "/CN=127.0.0.1", "-days", "2");
        Issue("device", "/CN=Cert C", "-days", "2");
        Issue("named", "/CN=" + CaIssuedDevice, "-days", "2");
        // -days -1: notAfter a day before now (OpenSSL 3.0's x509 has no -not_after): expired for any test run.
        Issue("expired", "/CN=" + CaIssuedDevice, "-days", "-1");
        Run("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", StrangerKey,
            "-out", StrangerCertificate, "-days", "2", "-subj", "/CN=Cert C");
    }

    private void Issue(string name, string subject, params string[] validity)
    {
        string key = Path.Combine(Directory, name + ".key"), csr = Path.Combine(Directory, name + ".csr");
        Run("req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", key, "-out", csr, "-subj", subject);
        Run(["x509", "-req", "-in", csr, "-CA", CaCertificate, "-CAkey", Path.Combine(Directory, "ca.key"), "-CAcreateserial",
            "-out", Path.Combine(Directory, name + ".pem"), .. validity]);
    }

    private static void Run(params string[] arguments)
    {
        var result = ProcessRunner.RunAsync("openssl", arguments).GetAwaiter().GetResult();
        if (result.ExitCode != 0) throw new InvalidOperationException(result.Describe());
    }

    public void Dispose()
    {
        try { System.IO.Directory.Delete(Directory, recursive: true); } catch (IOException) { }
    }
}
