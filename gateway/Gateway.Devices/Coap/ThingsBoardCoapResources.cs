using Gateway.Coap.Server;
using Gateway.Devices.ThingsBoard;
using Microsoft.Extensions.DependencyInjection;

namespace Gateway.Devices.Coap;

/// <summary>
/// Puts ThingsBoard's CoAP device API (thingsboard.md §2.2) into a <see cref="CoapServer"/>:
/// <c>/api/v1/{token}/{feature}</c>, <c>/api/v1/{token}/rpc/{id}</c>, <c>/api/v1/provision</c>,
/// <c>/fw/{token}</c>, <c>/sw/{token}</c>. None of them is listed in <c>/.well-known/core</c> (token paths).
/// </summary>
public sealed class ThingsBoardCoapResources : IDisposable
{
    private ThingsBoardCoapResources()
    {
    }

    /// <summary>Maps the resources; services come from <see cref="DeviceApiServiceCollectionExtensions.AddThingsBoardDeviceApi"/>. Dispose on shutdown.</summary>
    public static ThingsBoardCoapResources MapTo(CoapServer server, IServiceProvider services)
    {
        ArgumentNullException.ThrowIfNull(server);
        ArgumentNullException.ThrowIfNull(services);
        var api = services.GetRequiredService<DeviceApi>();
        var ota = new OtaCoapAdapter(services.GetRequiredService<OtaService>(), services.GetRequiredService<DeviceApiOptions>());

        server.Add("api/v1", new ProvisionResource(services.GetRequiredService<ProvisioningService>()) { Visible = false });
        var token = server.Add("api/v1", new MissingTokenResource() { Visible = false });
        var feature = token.Add(new FeatureResource(api, ota) { Visible = false });
        feature.Add(new RpcReplyResource(api) { Visible = false });
        server.Add("fw", new OtaResource(ota, OtaPackageType.Firmware) { Visible = false });
        server.Add("sw", new OtaResource(ota, OtaPackageType.Software) { Visible = false });
        return new ThingsBoardCoapResources();
    }

    public void Dispose()
    {
    }
}
