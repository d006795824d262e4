using Gateway.Coap.Messages;
using Gateway.Coap.Observe;
using Gateway.Coap.Server;
using Gateway.Devices.ThingsBoard;

namespace Gateway.Devices.Coap;

/// <summary>
/// <c>/api/v1/{token}/{feature}</c>: ThingsBoard's one resource for all features (thingsboard.md §2.2).
/// The feature is matched case-insensitively like ThingsBoard's enum; an unknown feature is 4.00, not
/// 4.04, and so are GET on telemetry/claim and GET on rpc without Observe (§2.4). These checks come
/// before the token lookup, as in ThingsBoard. <c>firmware</c>/<c>software</c> serve the documented
/// OTA path (§2.8: ThingsBoard itself answers 4.00 there; we serve it like <c>/fw/{token}</c>).
/// <para>Observe (§2.5): <c>attributes</c> answers 2.05 with the flat current shared attributes
/// (<c>{}</c> if none) and later pushes each flat update; <c>rpc</c> answers 2.03 without payload and
/// then delivers RPCs (<see cref="RpcDelivery"/>). One relation per device and feature: the observer
/// identity is feature and device name, set once the token is authenticated, so a re-registration
/// from a new port replaces the old relation. GET with Observe=1 on either answers 2.02 (§2.3).</para>
/// <para>Relations are stored without the token (the path keeps <c>-</c> in its place, the device name
/// is the restore state) and come back after a restart through the device name (reliability.md §1.6).</para>
/// </summary>
internal sealed class FeatureResource(DeviceApi api, OtaCoapAdapter ota, RpcDelivery rpc) : ObservableResource("{feature}")
{
    private static readonly CoapResponse Deleted = CoapResponse.Empty(CoapCode.Deleted);

    private const string TokenPlaceholder = "-";

    /// <summary>The observer identity of a device's attributes or RPC relation.</summary>
    public static string Identity(Feature.Kind feature, string device) => feature + ":" + device;

    private static string DeviceOf(string identity) => identity[(identity.IndexOf(':', StringComparison.Ordinal) + 1)..];

    protected override ObservationSnapshot? ToStorable(ObserveRelation relation, ObservationSnapshot snapshot)
    {
        // A relation on a DTLS session ends with the session: nothing to restore after a restart.
        if (relation.Identity is not { } identity || snapshot.Path.Count < 2 || relation.SessionIdentity is not null) return null;
        var path = snapshot.Path.ToArray();
        path[^2] = TokenPlaceholder; // …/{token}/{feature}
        return snapshot with { Path = path, State = DeviceOf(identity) };
    }

    protected override ValueTask<CoapResponse> RegisterAsync(CoapRequest request, CancellationToken cancellationToken)
    {
        var feature = Feature.Parse(request.RouteValues["feature"]);
        if (feature is not (Feature.Kind.Attributes or Feature.Kind.Rpc)) return GetAsync(request, cancellationToken); // e.g. telemetry: 4.00, no relation
        return RegisterDeviceAsync(request, feature, cancellationToken);
    }

    private async ValueTask<CoapResponse> RegisterDeviceAsync(CoapRequest request, Feature.Kind feature, CancellationToken cancellationToken)
    {
        var auth = request.RestoredState is { } restored
            ? await api.Authenticator.AuthenticateRestoredAsync(restored, cancellationToken).ConfigureAwait(false)
            : await api.Authenticator.AuthenticateAsync(request.RouteValues["token"], CoapResults.Context(request), cancellationToken).ConfigureAwait(false);
        if (!auth.Succeeded) return CoapResults.ToCoap(auth.Failure!, request);
        var device = auth.Device!.Name;
        string identity = Identity(feature, device);
        SetObserverIdentity(request, identity);
        rpc.Remember(feature, device, identity);
        if (feature == Feature.Kind.Rpc) return CoapResponse.Empty(CoapCode.Valid); // §2.5: 2.03, Observe 0, no payload
        var flat = await api.GetSharedAttributesFlatAsync(device, cancellationToken).ConfigureAwait(false);
        return CoapResponse.WithFormat(CoapCode.Content, flat, CoapResults.ResponseFormat(request));
    }

    protected override void OnRelationAdded(ObserveRelation relation)
    {
        if (Feature.Parse(relation.CreateRequest().RouteValues.GetValueOrDefault("feature") ?? "") == Feature.Kind.Rpc) rpc.RelationAdded(relation);
    }

    /// <summary>
    /// Sends a flat shared-attribute update (§1.3) to the device's attributes observer, if any: the
    /// newest registration, also when one replaces the relation while the update is on its way. Call
    /// after the update is in the attribute cache (a registration racing it then answers with it, or
    /// gets the whole flat state as a notification, <see cref="ComposeNotificationAsync"/>).
    /// </summary>
    public Task<NotificationOutcome> NotifyAttributesAsync(string identity, ReadOnlyMemory<byte> update) =>
        NotifyIdentityAsync(identity, relation => CoapResponse.WithFormat(CoapCode.Content, update, CoapResults.ResponseFormat(relation.CreateRequest())));

    /// <summary>
    /// What the endpoint sends a relation whose registration raced a change (its first response may
    /// predate it): for attributes the whole flat shared state, like the first response (§2.5); for
    /// RPC nothing (queued RPCs go out through <see cref="RpcDelivery"/> on every new relation).
    /// </summary>
    protected override async ValueTask<CoapResponse?> ComposeNotificationAsync(ObserveRelation relation, CancellationToken cancellationToken)
    {
        if (relation.Identity is not { } identity || !identity.StartsWith(Feature.Kind.Attributes + ":", StringComparison.Ordinal)) return null;
        var flat = await api.GetSharedAttributesFlatAsync(DeviceOf(identity), cancellationToken).ConfigureAwait(false);
        return CoapResponse.WithFormat(CoapCode.Content, flat, CoapResults.ResponseFormat(relation.CreateRequest()));
    }

    protected override ValueTask<CoapResponse> GetAsync(CoapRequest request, CancellationToken cancellationToken)
    {
        string token = request.RouteValues["token"];
        var feature = Feature.Parse(request.RouteValues["feature"]);
        if (request.Observe == 1 && feature is Feature.Kind.Attributes or Feature.Kind.Rpc) return new(Deleted); // the endpoint removed the relation
        switch (feature)
        {
            case Feature.Kind.Attributes:
                return CoapResults.Map(api.GetAttributesAsync(token, CoapQuery.Keys(request.Query, "clientKeys"), CoapQuery.Keys(request.Query, "sharedKeys"),
                    CoapResults.Context(request), cancellationToken), request);
            case Feature.Kind.Firmware:
                return ota.HandleAsync(request, OtaPackageType.Firmware, token, cancellationToken);
            case Feature.Kind.Software:
                return ota.HandleAsync(request, OtaPackageType.Software, token, cancellationToken);
            default:
                // telemetry, claim, rpc without Observe, unknown: 4.00 (§2.4)
                return CoapResults.BadRequestTask;
        }
    }

    protected override ValueTask<CoapResponse> PostAsync(CoapRequest request, CancellationToken cancellationToken)
    {
        string token = request.RouteValues["token"];
        var payload = request.Payload;
        var context = CoapResults.Context(request, dedup: true);
        return Feature.Parse(request.RouteValues["feature"]) switch
        {
            Feature.Kind.Telemetry => CoapResults.Map(api.IngestTelemetryAsync(token, payload, context, cancellationToken), request),
            Feature.Kind.Attributes => CoapResults.Map(api.PostClientAttributesAsync(token, payload, context, cancellationToken), request),
            Feature.Kind.Rpc => CoapResults.Map(api.ClientRpcAsync(token, payload, CoapResults.Context(request), cancellationToken), request),
            Feature.Kind.Claim => CoapResults.Map(api.ClaimAsync(token, payload, context, cancellationToken), request),
            Feature.Kind.Firmware or Feature.Kind.Software => MethodNotAllowed, // §2.8: POST on OTA → 4.05
            _ => CoapResults.BadRequestTask,
        };
    }
}
