using System.Net;
using Gateway.Coap.Transport;

namespace Gateway.Coap.Reliability;

/// <summary>
/// Retransmits outgoing Confirmable messages with exponential back-off until an ACK or RST
/// (RFC 7252 §4.2): the first timeout is random in [ACK_TIMEOUT, ACK_TIMEOUT × ACK_RANDOM_FACTOR],
/// doubled after each of at most MAX_RETRANSMIT retransmissions. At most NSTART of them are outstanding
/// to one peer (§4.7); later ones wait in order and go out as earlier ones end. Timers come from the
/// endpoint's <see cref="TimeProvider"/>. State is guarded by the owning endpoint's gate.
/// </summary>
internal sealed class ConfirmableSender(CoapEndpointOptions options, TimeProvider time, IDatagramTransport transport, object gate)
{
    private readonly Dictionary<(PeerAddress Peer, ushort MessageId), Pending> _pending = [];
    // Per peer with anything outstanding: how many are on the wire, and the ones waiting for NSTART (§4.7).
    private readonly Dictionary<PeerAddress, PeerWindow> _windows = [];

    public int Count { get { lock (gate) return _pending.Count; } }

    public long Retransmissions { get; private set; }

    /// <summary>Messages that had to wait because NSTART were already outstanding to their peer.</summary>
    public long Deferred { get; private set; }

    /// <summary>Sends now (or once NSTART allows) and keeps retransmitting; <paramref name="onOutcome"/> runs once, outside the gate.</summary>
    public void Send(byte[] datagram, PeerAddress peer, SocketAddress to, ushort messageId, Action<ConfirmableOutcome>? onOutcome)
    {
        var timeout = options.AckTimeout * (1 + Random.Shared.NextDouble() * (options.AckRandomFactor - 1));
        var pending = new Pending(datagram, peer, to, messageId, timeout, onOutcome);
        lock (gate)
        {
            if (_pending.Remove((peer, messageId), out var replaced)) End(replaced);
            _pending[(peer, messageId)] = pending;
            if (!_windows.TryGetValue(peer, out var window)) _windows[peer] = window = new PeerWindow();
            if (window.Sending >= options.Nstart)
            {
                window.Waiting.Enqueue(pending);
                Deferred++;
                return;
            }
            window.Sending++;
            pending.Sent = true;
            Arm(pending);
        }
        transport.Send(datagram, to);
    }

    /// <summary>
    /// A message leaves the table: stop its timer and, if it was on the wire, let the next waiting one to its
    /// peer go. Under the gate; the caller sends what <see cref="TakeNext"/> returns outside it.
    /// </summary>
    private void End(Pending pending)
    {
        pending.Stop();
        pending.Ended = true;
        if (!_windows.TryGetValue(pending.Peer, out var window)) return;
        if (pending.Sent) window.Sending--;
        if (window.Sending == 0 && window.Waiting.Count == 0) _windows.Remove(pending.Peer);
    }

    /// <summary>The waiting messages NSTART now lets out, marked sent and armed. Under the gate.</summary>
    private List<Pending>? TakeNext(PeerAddress peer)
    {
        if (!_windows.TryGetValue(peer, out var window)) return null;
        List<Pending>? ready = null;
        while (window.Sending < options.Nstart && window.Waiting.TryDequeue(out var next))
        {
            if (next.Ended) continue; // cancelled while waiting
            window.Sending++;
            next.Sent = true;
            Arm(next);
            (ready ??= []).Add(next);
        }
        if (window.Sending == 0 && window.Waiting.Count == 0) _windows.Remove(peer);
        return ready;
    }

    private void SendReady(List<Pending>? ready)
    {
        if (ready is null) return;
        foreach (var next in ready) transport.Send(next.Datagram, next.To);
    }

    /// <summary>
    /// RFC 7641 §4.5.2: a newer notification takes the place of an unacknowledged older one. It
    /// inherits the retransmission counter and timer, so it goes out when the old one would have
    /// been retransmitted (one CON in flight per observer, §4.5.1) and gives up when it would
    /// have. False if the old message is no longer pending (the caller then sends afresh).
    /// </summary>
    public bool Replace(PeerAddress peer, ushort oldMessageId, byte[] datagram, ushort messageId, Action<ConfirmableOutcome>? onOutcome)
    {
        lock (gate)
        {
            if (!_pending.Remove((peer, oldMessageId), out var pending)) return false;
            pending.Datagram = datagram;
            pending.MessageId = messageId;
            pending.OnOutcome = onOutcome;
            _pending[(peer, messageId)] = pending;
            return true;
        }
    }

    /// <summary>Matches an ACK or RST by (peer, Message ID); false if nothing was pending.</summary>
    public bool Complete(PeerAddress peer, ushort messageId, ConfirmableOutcome outcome)
    {
        Pending? pending;
        List<Pending>? ready;
        lock (gate)
        {
            if (!_pending.Remove((peer, messageId), out pending)) return false;
            End(pending);
            ready = TakeNext(peer);
        }
        SendReady(ready);
        pending.Report(outcome);
        return true;
    }

    /// <summary>Stops every retransmission (endpoint shutdown); each owner hears Cancelled.</summary>
    public void CancelAll()
    {
        List<Pending> all;
        lock (gate)
        {
            all = [.. _pending.Values];
            _pending.Clear();
            _windows.Clear();
            foreach (var p in all) p.Stop();
        }
        foreach (var p in all) p.Report(ConfirmableOutcome.Cancelled);
    }

    private void OnTimer(Pending pending)
    {
        bool resend;
        List<Pending>? ready = null;
        lock (gate)
        {
            if (!_pending.TryGetValue((pending.Peer, pending.MessageId), out var current) || current != pending) return;
            resend = pending.Attempts < options.MaxRetransmit;
            if (resend)
            {
                pending.Attempts++;
                pending.Timeout *= 2;
                Arm(pending);
                Retransmissions++;
            }
            else
            {
                _pending.Remove((pending.Peer, pending.MessageId));
                End(pending);
                ready = TakeNext(pending.Peer);
            }
        }
        if (resend)
        {
            transport.Send(pending.Datagram, pending.To);
            return;
        }
        SendReady(ready);
        pending.Report(ConfirmableOutcome.TimedOut);
    }

    private void Arm(Pending pending)
    {
        pending.Timer ??= time.CreateTimer(static s => { var (owner, p) = ((ConfirmableSender, Pending))s!; owner.OnTimer(p); },
            (this, pending), Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
        pending.Timer.Change(pending.Timeout, Timeout.InfiniteTimeSpan);
    }

    private sealed class Pending(byte[] datagram, PeerAddress peer, SocketAddress to, ushort messageId, TimeSpan timeout, Action<ConfirmableOutcome>? onOutcome)
    {
        public ITimer? Timer;
        public byte[] Datagram { get; set; } = datagram;
        public PeerAddress Peer { get; } = peer;
        public SocketAddress To { get; } = to;
        public ushort MessageId { get; set; } = messageId;
        public Action<ConfirmableOutcome>? OnOutcome { get; set; } = onOutcome;
        public TimeSpan Timeout { get; set; } = timeout;
        public int Attempts { get; set; }
        /// <summary>On the wire (counted against NSTART), rather than waiting.</summary>
        public bool Sent { get; set; }
        public bool Ended { get; set; }

        public void Stop() => Timer?.Dispose();

        public void Report(ConfirmableOutcome outcome) => OnOutcome?.Invoke(outcome);
    }

    private sealed class PeerWindow
    {
        public int Sending;
        public Queue<Pending> Waiting { get; } = new();
    }
}
