using Gateway.Interop.Tests.Support;

namespace Gateway.Interop.Tests.EndToEnd;

/// <summary>
/// One gateway process for <see cref="ThingsBoardCoapSeedTests"/>: devices added with the CLI (one per test, so the
/// cloud messages each test checks are its own), a provisioning profile, and mosquitto as the cloud.
/// </summary>
public sealed class SeedGateway : IAsyncLifetime
{
    public static readonly string[] DeviceNames = ["Dev A", "Dev B", "Dev C", "Dev R", "Dev O", "Dev K", "Dev T"];
    private readonly string _dataDir = Path.Combine(Path.GetTempPath(), $"coapgw-e2e-seed-{Guid.NewGuid():N}");

    public CloudSide Cloud { get; } = new();

    public GatewayProcess Gateway { get; private set; } = null!;

    public Dictionary<string, string> Tokens { get; } = [];

    public string Uri(string path) => $"coap://127.0.0.1:{Gateway.Port}/{path}";

    public async Task InitializeAsync()
    {
        Cloud.StartSubscriber($"cloud-seed-{Guid.NewGuid():N}");
        foreach (var name in DeviceNames) Tokens[name] = await CloudSide.AddDeviceAsync(_dataDir, name, "--type", "thermostat");
        Gateway = await GatewayProcess.StartAsync(_dataDir, Cloud.GatewayArguments("gateway-e2e-seed",
            "--Provisioning:Profiles:0:Key=prov-key", "--Provisioning:Profiles:0:Secret=prov-secret", "--Provisioning:Profiles:0:Type=sensor"));
        Cloud.Diagnostics = () => "gateway log:\n" + Gateway.Output;
        // The bridge subscribes to the downlinks before it announces devices (thingsboard.md §4.2 connect): once the
        // last device's connect is seen, a cloud publish reaches the gateway.
        foreach (var name in DeviceNames)
            await Cloud.WaitAsync("v1/gateway/connect", p => (string?)p["device"] == name, $"the connect of {name}");
    }

    public async Task DisposeAsync()
    {
        if (Gateway is not null) await Gateway.DisposeAsync();
        Cloud.Dispose();
        try { Directory.Delete(_dataDir, recursive: true); } catch (IOException) { }
    }
}
