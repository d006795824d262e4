using Gateway.Domain;
using Gateway.Storage.Downlinks;
using Microsoft.Extensions.Logging;
using SignalKind = Gateway.Domain.DownlinkKind;
using QueueKind = Gateway.Storage.Downlinks.DownlinkKind;

namespace Gateway.Devices.Http;

/// <summary>
/// What the HTTP long polls wait on (thingsboard.md §3). Subscribes to <see cref="IDownlinkSignal"/>, which the
/// bridge raises after it stored a change:
/// <list type="bullet">
/// <item><c>/attributes/updates</c>: the next shared-attribute update of the device, flat as pushed (§1.3). Like
/// ThingsBoard it does not answer the current state first and keeps nothing between polls: an update with no poll
/// open is not replayed (the device reads <c>GET …/attributes</c> after a reconnect).</item>
/// <item><c>/rpc</c>: the oldest Pending RPC in <see cref="IDownlinkQueue"/>, else the next one queued. It is marked
/// Delivered when claimed (§3) and put back to Pending if the poll goes away before the answer is written, so a
/// sleeping device still gets it until its TTL runs out.</item>
/// </list>
/// Claims of one device are serialised, so two polls never get the same RPC; a device that also observes
/// <c>/rpc</c> over CoAP at the same moment may get an RPC on both (the queue has no compare-and-set).
/// </summary>
internal sealed class DownlinkWaiter : IDisposable
{
    private readonly IDownlinkQueue _queue;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly IDisposable _subscription;
    private readonly object _gate = new();
    private readonly Dictionary<string, Slot> _slots = new(StringComparer.Ordinal);

    public DownlinkWaiter(IDownlinkSignal signal, IDownlinkQueue queue, TimeProvider time, ILogger<DownlinkWaiter> logger)
    {
        _queue = queue;
        _time = time;
        _logger = logger;
        _subscription = signal.Subscribe(OnDownlink);
    }

    /// <summary>Attribute and RPC waits currently open (tests wait for a poll to be in place before raising a change).</summary>
    public int Waiting { get { lock (_gate) return _slots.Values.Sum(s => s.Users); } }

    /// <summary>The next flat shared-attribute update of <paramref name="device"/>, or null after <paramref name="timeout"/>.</summary>
    public async Task<byte[]?> NextAttributesAsync(string device, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var waiter = new TaskCompletionSource<byte[]>(TaskCreationOptions.RunContinuationsAsynchronously);
        var slot = Enter(device, waiter);
        try
        {
            return await waiter.Task.WaitAsync(timeout, _time, cancellationToken).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            return null;
        }
        finally
        {
            lock (_gate) slot.Attributes.Remove(waiter);
            Exit(device, slot);
        }
    }

    /// <summary>Claims the device's oldest Pending RPC (now Delivered), waiting up to <paramref name="timeout"/> for one; null on timeout.</summary>
    public async Task<Downlink?> ClaimRpcAsync(string device, TimeSpan timeout, CancellationToken cancellationToken)
    {
        long started = _time.GetTimestamp();
        var slot = Enter(device);
        try
        {
            while (true)
            {
                Task doorbell;
                lock (_gate) doorbell = slot.Doorbell.Task; // taken before looking, so a signal in between is not missed
                if (await TryClaimAsync(device, slot, cancellationToken).ConfigureAwait(false) is { } rpc) return rpc;
                var left = timeout - _time.GetElapsedTime(started);
                if (left <= TimeSpan.Zero) return null;
                try
                {
                    await doorbell.WaitAsync(left, _time, cancellationToken).ConfigureAwait(false);
                }
                catch (TimeoutException)
                {
                    return null;
                }
            }
        }
        finally
        {
            Exit(device, slot);
        }
    }

    /// <summary>Puts a claimed RPC back to Pending (its poll went away unanswered) and wakes other polls of the device.</summary>
    public async Task ReleaseAsync(Downlink rpc)
    {
        await _queue.SetStatusAsync(rpc.Id, DownlinkStatus.Pending).ConfigureAwait(false);
        Ring(rpc.Device);
    }

    private async Task<Downlink?> TryClaimAsync(string device, Slot slot, CancellationToken cancellationToken)
    {
        await slot.Claim.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            foreach (var rpc in await _queue.PendingAsync(device, cancellationToken).ConfigureAwait(false))
            {
                if (rpc.Kind != QueueKind.RpcRequest || rpc.Status != DownlinkStatus.Pending || rpc.RequestId is null) continue;
                if (await _queue.SetStatusAsync(rpc.Id, DownlinkStatus.Delivered, CancellationToken.None).ConfigureAwait(false)) return rpc;
            }
            return null;
        }
        finally
        {
            slot.Claim.Release();
        }
    }

    private void OnDownlink(DownlinkEvent change)
    {
        if (change.Kind == SignalKind.Rpc)
        {
            Ring(change.Device);
            return;
        }
        List<TaskCompletionSource<byte[]>> waiters;
        lock (_gate)
        {
            if (!_slots.TryGetValue(change.Device, out var slot) || slot.Attributes.Count == 0) return;
            waiters = [.. slot.Attributes];
        }
        var payload = change.Payload.ToArray(); // the signal's buffer is not ours after we return
        foreach (var waiter in waiters) waiter.TrySetResult(payload);
    }

    private void Ring(string device)
    {
        TaskCompletionSource? rung = null;
        lock (_gate)
        {
            if (_slots.TryGetValue(device, out var slot))
            {
                rung = slot.Doorbell;
                slot.Doorbell = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            }
        }
        rung?.TrySetResult();
    }

    private Slot Enter(string device, TaskCompletionSource<byte[]>? attributes = null)
    {
        lock (_gate)
        {
            if (!_slots.TryGetValue(device, out var slot)) _slots[device] = slot = new Slot();
            slot.Users++;
            if (attributes is not null) slot.Attributes.Add(attributes); // under the same lock: counted means listening
            return slot;
        }
    }

    private void Exit(string device, Slot slot)
    {
        lock (_gate)
        {
            if (--slot.Users == 0 && _slots.GetValueOrDefault(device) == slot) _slots.Remove(device);
        }
    }

    public void Dispose() => _subscription.Dispose();

    private sealed class Slot
    {
        public readonly List<TaskCompletionSource<byte[]>> Attributes = [];
        public readonly SemaphoreSlim Claim = new(1, 1);
        public TaskCompletionSource Doorbell = new(TaskCreationOptions.RunContinuationsAsynchronously);
        public int Users;
    }
}
