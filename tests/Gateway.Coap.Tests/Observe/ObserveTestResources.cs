using Gateway.Coap.Messages;
using Gateway.Coap.Observe;
using Gateway.Coap.Server;

namespace Gateway.Coap.Tests.Observe;

/// <summary>An observable value: GET (and every notification) returns it as text.</summary>
internal sealed class SensorResource(string name = "temp") : ObservableResource(name)
{
    public string Value { get; set; } = "20";

    public List<(ObserveRelation Relation, ObserveRemovalReason Reason)> Removed { get; } = [];

    public List<ObserveRelation> Added { get; } = [];

    protected override ValueTask<CoapResponse> GetAsync(CoapRequest request, CancellationToken cancellationToken) =>
        new(CoapResponse.Text(CoapCode.Content, Value));

    protected internal override void OnRelationAdded(ObserveRelation relation) => Added.Add(relation);

    protected internal override void OnRelationRemoved(ObserveRelation relation, ObserveRemovalReason reason) => Removed.Add((relation, reason));
}

/// <summary>ThingsBoard's RPC shape: 2.03 without payload first, each RPC a 2.05 to one device, one relation per device token.</summary>
internal sealed class RpcResource() : ObservableResource("rpc")
{
    public List<(ObserveRelation Relation, ObserveRemovalReason Reason)> Removed { get; } = [];

    protected override string? GetObserverIdentity(CoapRequest request) => request.RouteValues["token"];

    protected override ValueTask<CoapResponse> RegisterAsync(CoapRequest request, CancellationToken cancellationToken) =>
        new(CoapResponse.Empty(CoapCode.Valid));

    protected override ValueTask<CoapResponse?> ComposeNotificationAsync(ObserveRelation relation, CancellationToken cancellationToken) => new((CoapResponse?)null);

    protected internal override void OnRelationRemoved(ObserveRelation relation, ObserveRemovalReason reason) => Removed.Add((relation, reason));
}

internal static class Opt
{
    public static CoapOption Observe(uint value) => CoapOption.FromUInt(CoapOptionNumber.Observe, value);

    public static CoapOption Block2(uint number, int szx) => new BlockOption(number, false, szx).ToOption(CoapOptionNumber.Block2);

    public static CoapOption Block1(uint number, bool more, int szx) => new BlockOption(number, more, szx).ToOption(CoapOptionNumber.Block1);

    public static uint? ObserveOf(CoapMessage m) => m.GetUIntOption(CoapOptionNumber.Observe);

    public static BlockOption? Block2Of(CoapMessage m) => m.GetUIntOption(CoapOptionNumber.Block2) is { } v ? BlockOption.Decode(v) : null;

    public static BlockOption? Block1Of(CoapMessage m) => m.GetUIntOption(CoapOptionNumber.Block1) is { } v ? BlockOption.Decode(v) : null;

    /// <summary>The result of a task that must already have completed (the manual clock runs everything synchronously).</summary>
    public static T Completed<T>(Task<T> task)
    {
        Assert.True(task.Wait(TimeSpan.FromSeconds(5)), "the task did not complete");
        return task.Result;
    }

    public static string Text(CoapMessage m) => System.Text.Encoding.UTF8.GetString(m.Payload.Span);
}
