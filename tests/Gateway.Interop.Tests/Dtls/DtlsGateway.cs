using System.Globalization;
using Gateway.Interop.Tests.EndToEnd;
using Gateway.Interop.Tests.Support;
using Gateway.TestKit;

namespace Gateway.Interop.Tests.Dtls;

/// <summary>
/// The real gateway process with <c>Coap:Dtls:Enabled</c>, mosquitto as the cloud, and devices registered by the CLI
/// with PSKs; a test CA, server and device certificates made by <c>openssl</c> in a temp directory.
/// </summary>
public sealed class DtlsGateway : IAsyncLifetime
{
    public const string PskKey = "psk-key-of-device-1";

    /// <summary>"psk-b-key!" as hex: registered with --psk-key-hex, given to libcoap (whose -k is text) as the text.</summary>
    public const string PskBKeyHex = "70736b2d622d6b657921", PskBKeyText = "psk-b-key!";
    public string DataDir { get; } = Path.Combine(Path.GetTempPath(), $"coapgw-e2e-dtls-{Guid.NewGuid():N}");

    public CloudSide Cloud { get; } = new();

    public GatewayProcess Gateway { get; private set; } = null!;

    public TestPki Pki { get; } = new();

    public int DtlsPort { get; } = FreePort.Udp();

    public Dictionary<string, string> Tokens { get; } = [];

    public string Uri(string path) => $"coaps://127.0.0.1:{DtlsPort.ToString(CultureInfo.InvariantCulture)}/{path}";

    public async Task InitializeAsync()
    {
        Pki.Create();
        Cloud.StartSubscriber($"cloud-dtls-{Guid.NewGuid():N}");
        Tokens["Psk A"] = await CloudSide.AddDeviceAsync(DataDir, "Psk A", "--type", "thermostat", "--psk-identity", "psk-a", "--psk-key", PskKey);
        Tokens["Psk B"] = await CloudSide.AddDeviceAsync(DataDir, "Psk B", "--psk-identity", "psk-b", "--psk-key-hex", PskBKeyHex);
        Tokens["Token T"] = await CloudSide.AddDeviceAsync(DataDir, "Token T");
        Tokens["Cert C"] = await CloudSide.AddDeviceAsync(DataDir, "Cert C", "--certificate", Pki.DeviceCertificate);
        Tokens[TestPki.CaIssuedDevice] = await CloudSide.AddDeviceAsync(DataDir, TestPki.CaIssuedDevice);
        Gateway = await GatewayProcess.StartAsync(DataDir, Cloud.GatewayArguments("gateway-e2e-dtls",
            "--Coap:Dtls:Enabled=true", $"--Coap:Dtls:Port={DtlsPort.ToString(CultureInfo.InvariantCulture)}",
            $"--Coap:Dtls:CertificateFile={Pki.ServerCertificate}", $"--Coap:Dtls:KeyFile={Pki.ServerKey}", $"--Coap:Dtls:ClientCaFile={Pki.CaCertificate}",
            "--Coap:Dtls:HandshakeTimeoutSeconds=3"));
        Cloud.Diagnostics = () => "gateway log:\n" + Gateway.Output;
        foreach (var name in Tokens.Keys) await Cloud.WaitAsync("v1/gateway/connect", p => (string?)p["device"] == name, $"the connect of {name}");
    }

    public async Task DisposeAsync()
    {
        if (Gateway is not null) await Gateway.DisposeAsync();
        Cloud.Dispose();
        Pki.Dispose();
        try { Directory.Delete(DataDir, recursive: true); } catch (IOException) { }
    }
}
