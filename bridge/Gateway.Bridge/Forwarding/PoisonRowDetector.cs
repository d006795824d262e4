namespace Gateway.Bridge.Forwarding;

/// <summary>
/// Finds a row the broker will never take and answers by closing the connection (MQTT 3.1.1 has no
/// PUBACK reason code, §3.4; mosquitto closes on a packet over its <c>max_packet_size</c>), which the
/// client would otherwise resend on every reconnect for ever, stalling the queue behind it.
/// <para>
/// A connection loss <em>implicates</em> the oldest message in flight when the connection had come up
/// (CONNACK) and the loss came within <c>window</c> of that message's send or resend (the client
/// resends at the connect, MQTT §4.4). A link that fails on its own fails at random moments; a broker
/// that refuses a packet fails right after it. Steps:
/// </para>
/// <list type="number">
/// <item>The same message implicated by two losses in a row: its rows become suspects, the batch is
/// withdrawn (the caller cancels it and releases its rows), and the forwarder sends one row at a time
/// (<see cref="Isolating"/>) until every suspect was delivered, so a loss now names one row.</item>
/// <item>A row alone in flight at <c>losses</c> consecutive implicated losses is condemned: the caller
/// moves it to the dead-letter table and the rest flows on. A delivery of that row, or a loss that does
/// not implicate it, clears its count.</item>
/// </list>
/// Healthy data on a flapping link is condemned only if one row alone is hit <c>losses</c> times in a
/// row, each time within <c>window</c> of its send: with a cut every T seconds that is about
/// (window / T)^losses per suspect. <c>losses</c> = 0 turns detection off.
/// </summary>
internal sealed class PoisonRowDetector(int losses, TimeSpan window, TimeProvider time)
{
    private readonly Lock _gate = new();
    private readonly List<(OutgoingMessage Message, long SentAt)> _inFlight = [];
    private readonly HashSet<long> _suspects = [];
    private readonly List<long> _condemned = [];
    private long _connectedAt = -1;
    private OutgoingMessage? _implicated;
    private long _struckRow = -1;
    private int _strikes, _isolatedSendsLeft;

    /// <summary>Send one row per batch, alone in flight: a suspect is being tested.</summary>
    public bool Isolating { get { lock (_gate) return _suspects.Count > 0; } }

    public void Connected()
    {
        lock (_gate) _connectedAt = time.GetTimestamp();
    }

    /// <summary>Records a loss of the connection; true when the batch in flight must be withdrawn (released, not resent by the client).</summary>
    public bool ConnectionLost()
    {
        if (losses <= 0) return false;
        lock (_gate)
        {
            var connectedAt = _connectedAt;
            _connectedAt = -1;
            // A connect that never succeeded (or a second report of the same loss) says nothing about the data.
            if (connectedAt < 0) return false;
            if (_inFlight.Count == 0) return Clear();
            var (oldest, sentAt) = _inFlight[0];
            if (time.GetElapsedTime(Math.Max(sentAt, connectedAt)) > window) return Clear();
            if (_suspects.Count > 0 && _inFlight.Count == 1 && oldest.RowCount == 1)
            {
                var row = oldest.RowIds.First();
                _strikes = row == _struckRow ? _strikes + 1 : 1;
                _struckRow = row;
                if (_strikes >= losses)
                {
                    _condemned.Add(row);
                    _suspects.Remove(row);
                    _struckRow = -1;
                }
                return true;
            }
            if (!ReferenceEquals(oldest, _implicated))
            {
                _implicated = oldest;
                return false;
            }
            _implicated = null;
            _suspects.UnionWith(oldest.RowIds);
            // Bounded: a suspect that never comes back (expired, dead-lettered by hand) must not keep the forwarder slow.
            _isolatedSendsLeft = 4 * _suspects.Count + 16;
            return true;
        }
    }

    public void Started(OutgoingMessage message)
    {
        lock (_gate)
        {
            _inFlight.Add((message, time.GetTimestamp()));
            if (_suspects.Count > 0 && --_isolatedSendsLeft <= 0) _suspects.Clear();
        }
    }

    public void Finished(OutgoingMessage message, bool delivered)
    {
        lock (_gate)
        {
            _inFlight.RemoveAll(m => ReferenceEquals(m.Message, message));
            if (!delivered) return;
            if (ReferenceEquals(message, _implicated)) _implicated = null;
            foreach (var id in message.RowIds)
            {
                _suspects.Remove(id);
                if (id == _struckRow) _struckRow = -1;
            }
        }
    }

    /// <summary>Rows condemned since the last call, for the caller to dead-letter.</summary>
    public IReadOnlyList<long> TakeCondemned()
    {
        lock (_gate)
        {
            if (_condemned.Count == 0) return [];
            var taken = _condemned.ToList();
            _condemned.Clear();
            return taken;
        }
    }

    /// <summary>The loss implicates nothing: the chain of losses on one message or row is broken.</summary>
    private bool Clear()
    {
        _implicated = null;
        _struckRow = -1;
        return false;
    }
}
