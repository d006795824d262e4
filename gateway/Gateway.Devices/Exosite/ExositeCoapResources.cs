using System.Text.Json;
using System.Text.Json.Nodes;
using Gateway.Coap.Messages;
using Gateway.Coap.Server;
using Gateway.Devices.Refusals;
using Gateway.Domain;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Gateway.Devices.Exosite;

/// <summary>
/// Puts Exosite's CoAP API (peers.md §A.1) into a <see cref="CoapServer"/>: <c>/1a</c>, <c>/1a/{alias}</c>,
/// <c>/provision/activate/{vendor}/{model}/{sn}</c>, <c>/provision/download/{vendor}/{model}[/{id}[/info]]</c>,
/// <c>/ts</c>, <c>/rpc</c>. Exosite never served <c>/.well-known/core</c> (§A.1); here it lists the entry points that
/// take no secret in the path (RFC 6690 §4): <c>/1a</c>, <c>/provision/activate</c>, <c>/ts</c> and <c>/rpc</c>.
/// Subscribes to <see cref="IDownlinkSignal"/>: a shared attribute the cloud sets for an Exosite device
/// becomes the dataport of that alias and its observers are notified.
/// </summary>
public sealed class ExositeCoapResources : IDisposable
{
    private readonly DataportResource _dataport;
    private readonly ExositeDataports _dataports;
    private readonly IDisposable _subscription;
    private readonly ILogger _logger;

    private ExositeCoapResources(DataportResource dataport, ExositeDataports dataports, IDownlinkSignal signal, ILogger logger)
    {
        _dataport = dataport;
        _dataports = dataports;
        _logger = logger;
        _dataports.Changed += _dataport.OnChanged;
        _subscription = signal.Subscribe(OnDownlink);
    }

    /// <summary>Observers of <c>/1a/{alias}</c>.</summary>
    public int ObserverCount => _dataport.ObserverCount;

    /// <summary>Maps the resources; services come from <see cref="ExositeServiceCollectionExtensions.AddExositeDeviceApi"/>. Dispose on shutdown.</summary>
    public static ExositeCoapResources MapTo(CoapServer server, IServiceProvider services)
    {
        ArgumentNullException.ThrowIfNull(server);
        ArgumentNullException.ThrowIfNull(services);
        var dataports = services.GetRequiredService<ExositeDataports>();
        var provisioning = services.GetRequiredService<ExositeProvisioning>();
        var options = services.GetRequiredService<ExositeOptions>();
        var time = services.GetRequiredService<TimeProvider>();
        var logger = services.GetRequiredService<ILoggerFactory>().CreateLogger("Gateway.Devices.Exosite");

        var multi = server.Add("", new MultiDataportResource(dataports));
        Describe(multi, "exosite.1a", CoapContentFormat.Cbor);
        var dataport = multi.Add(new DataportResource(dataports, time, logger) { Visible = false });
        server.Add("provision/activate/{vendor}/{model}", new ActivateResource(provisioning, options) { Visible = false });
        // The CIK comes back as bare text without a Content-Format (§A.1), so no ct.
        Describe(server.Root.GetOrAddPath("provision/activate"), "exosite.activate");
        var list = server.Add("provision/download/{vendor}", new ContentListResource(dataports, provisioning) { Visible = false });
        var content = list.Add(new ContentResource(dataports, provisioning) { Visible = false });
        content.Add(new ContentInfoResource(dataports, provisioning) { Visible = false });
        Describe(server.Add("", new TimestampResource(time)), "exosite.ts", CoapContentFormat.OctetStream);
        Describe(server.Add("", new RpcProxyResource(services.GetRequiredService<ExositeRpc>(), options, services.GetService<RefusalLog>())),
            "exosite.rpc", CoapContentFormat.Json, CoapContentFormat.Cbor);
        return new ExositeCoapResources(dataport, dataports, services.GetRequiredService<IDownlinkSignal>(), logger);
    }

    /// <summary>Lists <paramref name="resource"/> with its resource type and content formats (RFC 6690 §3.1, RFC 7252 §7.2.1).</summary>
    private static void Describe(CoapResource resource, string resourceType, params int[] contentFormats)
    {
        resource.Attributes.ResourceTypes.Add(resourceType);
        foreach (int format in contentFormats) resource.Attributes.ContentFormats.Add(format);
        resource.Visible = true;
    }

    private void OnDownlink(DownlinkEvent change)
    {
        if (change.Kind != DownlinkKind.SharedAttributes) return;
        List<(string, string)> values = [];
        try
        {
            // The flat update of thingsboard.md §1.3; {"deleted":[…]} leaves the dataports' history alone.
            if (JsonNode.Parse(change.Payload.Span) is not JsonObject update) return;
            foreach (var (key, value) in update)
            {
                if (key == "deleted" && value is JsonArray) continue;
                if (value is not null) values.Add((key, ExositeValues.ToText(value)));
            }
        }
        catch (JsonException)
        {
            return;
        }
        if (values.Count > 0) _ = ApplyAsync(change.Device, values);
    }

    private async Task ApplyAsync(string device, List<(string, string)> values)
    {
        try
        {
            await _dataports.ApplyCloudValuesAsync(device, values).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            ExositeLog.CloudWriteFailed(_logger, e, device);
        }
    }

    public void Dispose()
    {
        _subscription.Dispose();
        _dataports.Changed -= _dataport.OnChanged;
        _dataport.Dispose();
    }
}
