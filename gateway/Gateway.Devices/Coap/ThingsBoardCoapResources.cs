using Gateway.Coap.Messages;
using Gateway.Coap.Server;
using Gateway.Devices.ThingsBoard;
using Gateway.Domain;
using Gateway.Storage.Downlinks;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Gateway.Devices.Coap;

/// <summary>
/// Puts ThingsBoard's CoAP device API (thingsboard.md §2.2) into a <see cref="CoapServer"/>:
/// <c>/api/v1/{token}/{feature}</c>, <c>/api/v1/{token}/rpc/{id}</c>, <c>/api/v1/provision</c>,
/// <c>/fw/{token}</c>, <c>/sw/{token}</c>. <c>/.well-known/core</c> lists only what a device may learn without a
/// secret (RFC 6690 §4): <c>/api/v1/provision</c>, and <c>/fw</c> and <c>/sw</c> as the entry points of the token paths.
/// Subscribes to <see cref="IDownlinkSignal"/>: a shared-attribute update is pushed to the device's
/// attributes observer as is (flat, §1.3), a queued RPC starts <see cref="RpcDelivery"/>.
/// </summary>
public sealed class ThingsBoardCoapResources : IDisposable
{
    private readonly FeatureResource _feature;
    private readonly RpcDelivery _rpc;
    private readonly IDisposable _subscription;
    private readonly ILogger _logger;

    private ThingsBoardCoapResources(FeatureResource feature, RpcDelivery rpc, IDownlinkSignal signal, ILogger logger)
    {
        _feature = feature;
        _rpc = rpc;
        _logger = logger;
        _subscription = signal.Subscribe(OnDownlink);
    }

    /// <summary>Observers of <c>/api/v1/{token}/attributes</c> and <c>/rpc</c>.</summary>
    public int ObserverCount => _feature.ObserverCount;

    /// <summary>True when no RPC delivery pass is running (for tests and shutdown).</summary>
    public bool RpcDeliveryIdle => _rpc.IsIdle;

    /// <summary>Maps the resources; services come from <see cref="DeviceApiServiceCollectionExtensions.AddThingsBoardDeviceApi"/>. Dispose on shutdown.</summary>
    public static ThingsBoardCoapResources MapTo(CoapServer server, IServiceProvider services)
    {
        ArgumentNullException.ThrowIfNull(server);
        ArgumentNullException.ThrowIfNull(services);
        var api = services.GetRequiredService<DeviceApi>();
        var ota = new OtaCoapAdapter(services.GetRequiredService<OtaService>());

        var provision = server.Add("api/v1", new ProvisionResource(services.GetRequiredService<ProvisioningService>()));
        Describe(provision, "tb.provision", CoapContentFormat.Json);
        var token = server.Add("api/v1", new MissingTokenResource() { Visible = false });
        var logger = services.GetRequiredService<ILoggerFactory>().CreateLogger("Gateway.Devices.Coap");
        var rpc = new RpcDelivery(services.GetRequiredService<IDownlinkQueue>(), logger);
        var feature = token.Add(new FeatureResource(api, ota, rpc) { Visible = false });
        rpc.Resource = feature;
        feature.Add(new RpcReplyResource(api) { Visible = false });
        // thingsboard.md §2.9: on a session that authenticated the device, /api/v1/telemetry etc. drop the token.
        server.AddSessionRoute("api/v1", Enum.GetNames<Feature.Kind>().Where(n => n != nameof(Feature.Kind.Unknown)));
        server.Add("fw", new OtaResource(ota, OtaPackageType.Firmware) { Visible = false });
        server.Add("sw", new OtaResource(ota, OtaPackageType.Software) { Visible = false });
        Describe(server.Root.GetOrAddPath("fw"), "tb.fw", CoapContentFormat.OctetStream);
        Describe(server.Root.GetOrAddPath("sw"), "tb.sw", CoapContentFormat.OctetStream);
        return new ThingsBoardCoapResources(feature, rpc, services.GetRequiredService<IDownlinkSignal>(), logger);
    }

    /// <summary>Lists <paramref name="resource"/> with its resource type and content format (RFC 6690 §3.1, RFC 7252 §7.2.1).</summary>
    private static void Describe(CoapResource resource, string resourceType, int contentFormat)
    {
        resource.Attributes.ResourceTypes.Add(resourceType);
        resource.Attributes.ContentFormats.Add(contentFormat);
        resource.Visible = true;
    }

    private void OnDownlink(DownlinkEvent change)
    {
        if (change.Kind == Gateway.Domain.DownlinkKind.Rpc)
        {
            _rpc.Kick(change.Device);
            return;
        }
        if (_rpc.AttributeIdentity(change.Device) is not { } identity) return;
        var payload = change.Payload.ToArray(); // the signal's buffer is not ours after we return
        _ = NotifyAsync(change.Device, identity, payload);
    }

    private async Task NotifyAsync(string device, string identity, byte[] payload)
    {
        var outcome = await _feature.NotifyAttributesAsync(identity, payload).ConfigureAwait(false);
        DevicesLog.AttributesNotified(_logger, device, outcome.ToString());
    }

    public void Dispose() => _subscription.Dispose();
}
