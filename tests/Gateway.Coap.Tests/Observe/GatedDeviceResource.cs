using System.Collections.Concurrent;
using Gateway.Coap.Messages;
using Gateway.Coap.Observe;
using Gateway.Coap.Server;

namespace Gateway.Coap.Tests.Observe;

/// <summary>
/// <c>api/v1/{token}/attrs</c>, one relation per device token (like ThingsBoard's attributes): the
/// registration reads the device's value first, then may wait on a gate the test holds for the
/// registering port (an authentication round trip), so a script chooses the order in which the
/// endpoint admits racing registrations. Gates complete inline, so a release runs the admission
/// on the releasing thread.
/// </summary>
internal sealed class GatedDeviceResource() : ObservableResource("attrs")
{
    private readonly ConcurrentDictionary<int, TaskCompletionSource> _gates = new();

    public ConcurrentDictionary<string, string> Values { get; } = new();

    /// <summary>Relations in the order the endpoint reported them added (its admission order).</summary>
    public ConcurrentQueue<ObserveRelation> Added { get; } = new();

    public ConcurrentQueue<(ObserveRelation Relation, ObserveRemovalReason Reason)> Removed { get; } = new();

    /// <summary>Real-thread tests: registrations yield to the thread pool before they answer.</summary>
    public bool YieldOnRegister { get; set; }

    public void Hold(int port) => _gates[port] = new TaskCompletionSource();

    public void Release(int port)
    {
        Assert.True(_gates.TryRemove(port, out var gate), $"no registration held for port {port}");
        gate.SetResult();
    }

    protected override string? GetObserverIdentity(CoapRequest request) => request.RestoredState ?? request.RouteValues["token"];

    protected override ValueTask<CoapResponse> RegisterAsync(CoapRequest request, CancellationToken cancellationToken)
    {
        string device = request.RestoredState ?? request.RouteValues["token"];
        var response = CoapResponse.Text(CoapCode.Content, Values.GetValueOrDefault(device, "0"));
        if (_gates.TryGetValue(request.PeerEndPoint.Port, out var gate))
            return new(gate.Task.ContinueWith(_ => response, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default));
        return YieldOnRegister ? YieldThen(response) : new(response);

        static async ValueTask<CoapResponse> YieldThen(CoapResponse response)
        {
            await Task.Yield();
            return response;
        }
    }

    protected override ValueTask<CoapResponse?> ComposeNotificationAsync(ObserveRelation relation, CancellationToken cancellationToken) =>
        new(CoapResponse.Text(CoapCode.Content, Values.GetValueOrDefault(relation.Identity!, "0")));

    /// <summary>The device's value changes: stored first, then its observer is told (the gateway's order).</summary>
    public Task<NotificationOutcome> Update(string device, string value, Action? beforeSend = null)
    {
        Values[device] = value;
        return NotifyIdentityAsync(device, relation =>
        {
            beforeSend?.Invoke();
            return CoapResponse.Text(CoapCode.Content, value);
        });
    }

    protected internal override void OnRelationAdded(ObserveRelation relation) => Added.Enqueue(relation);

    protected internal override void OnRelationRemoved(ObserveRelation relation, ObserveRemovalReason reason) => Removed.Enqueue((relation, reason));
}
