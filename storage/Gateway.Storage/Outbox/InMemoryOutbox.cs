namespace Gateway.Storage.Outbox;

/// <summary>
/// The <see cref="IOutbox"/> contract without persistence: for fast logic tests of the layers above
/// and for a "buffer in RAM only" mode. Passes the same contract suite as <see cref="SqliteOutbox"/>;
/// "durable" here means only "in this process".
/// </summary>
public sealed class InMemoryOutbox : IOutbox
{
    private readonly object _gate = new();
    private readonly StorageOptions _options;
    private readonly Func<long>? _freeBytes;
    private readonly StoreClock _clock;
    private readonly SortedDictionary<long, Row> _rows = [];
    private readonly Dictionary<(string Peer, int Mid), (byte[] Response, long ExpiresAt)> _dedup = [];
    private readonly Dictionary<DropKey, long> _drops = [];
    private long _nextId = 1;
    private long _bytes;
    private long _deadLetters;
    private long _commits;

    /// <param name="options">Limits (MaxQueueBytes, MaxAge, MinFreeBytes, RefusalRetryAfter); DataDir is unused.</param>
    /// <param name="time">Clock; the system clock if null.</param>
    /// <param name="freeBytes">Free-space probe for MinFreeBytes; without one the reserve is not enforced.</param>
    public InMemoryOutbox(StorageOptions options, TimeProvider? time = null, Func<long>? freeBytes = null)
    {
        _options = options;
        _freeBytes = freeBytes;
        _clock = new StoreClock(time ?? TimeProvider.System, 0);
    }

    public ValueTask<EnqueueResult> EnqueueAsync(OutboxMessage message, DedupRecord? dedup = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(message.Device, nameof(message)); // default(OutboxMessage)
        cancellationToken.ThrowIfCancellationRequested();
        lock (_gate)
        {
            var now = _clock.NowMs;
            if (dedup is { } claim && _dedup.TryGetValue((claim.Peer, claim.MessageId), out var seen) && seen.ExpiresAt > now)
            {
                return ValueTask.FromResult(EnqueueResult.Duplicate(seen.Response));
            }

            // Copied: the caller's buffer may be pooled and reused once the enqueue returns.
            var row = new Row(_nextId, message with { Payload = message.Payload.ToArray() }, OutboxPolicy.AccountedSize(message), now, OutboxPolicy.KeysOf(message).ToArray());
            var (limit, binding) = OutboxPolicy.Capacity(_options, _bytes, _freeBytes?.Invoke());
            if (_bytes + row.Size > limit && !MakeRoom(row, _bytes + row.Size - limit, binding, now))
            {
                return ValueTask.FromResult(EnqueueResult.Refused(OutboxPolicy.RefusalFor(binding), _options.RefusalRetryAfter));
            }

            _nextId++;
            _rows.Add(row.Id, row);
            _bytes += row.Size;
            if (dedup is { } record)
            {
                _dedup[(record.Peer, record.MessageId)] = (record.Response.ToArray(), now + (long)record.Lifetime.TotalMilliseconds);
            }
            _commits++;
            return ValueTask.FromResult(EnqueueResult.Committed(row.Id));
        }
    }

    public ValueTask<byte[]?> TryGetDedupAsync(string peer, int messageId, CancellationToken cancellationToken = default)
    {
        lock (_gate)
        {
            return ValueTask.FromResult(_dedup.TryGetValue((peer, messageId), out var seen) && seen.ExpiresAt > _clock.NowMs
                ? seen.Response
                : null);
        }
    }

    public ValueTask<IReadOnlyList<OutboxEntry>> LeaseAsync(int maxMessages, TimeSpan leaseFor, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxMessages);
        lock (_gate)
        {
            var now = _clock.NowMs;
            var busyDevices = _rows.Values.Where(r => r.LeasedUntil > now).Select(r => r.Message.Device).ToHashSet(StringComparer.Ordinal);
            var leased = new List<OutboxEntry>();
            // Awaited kinds first, then live rows, then the rest, each in id order (IOutbox.LeaseAsync).
            var withOldRows = _rows.Values.Where(r => r.EnqueuedAt <= now - OutboxPolicy.LiveWindowMs).Select(r => r.Message.Device).ToHashSet(StringComparer.Ordinal);
            var live = _rows.Values.Where(r => !r.Message.Kind.IsAwaited() && !withOldRows.Contains(r.Message.Device)).ToList();
            var order = _rows.Values.Where(r => r.Message.Kind.IsAwaited()).Concat(live)
                .Concat(_rows.Values.Where(r => !r.Message.Kind.IsAwaited() && withOldRows.Contains(r.Message.Device)));
            foreach (var row in order)
            {
                if (leased.Count == maxMessages)
                {
                    break;
                }
                if (row.LeasedUntil > now || busyDevices.Contains(row.Message.Device))
                {
                    continue;
                }
                row.LeasedUntil = now + (long)leaseFor.TotalMilliseconds;
                row.Attempts++;
                leased.Add(new OutboxEntry(row.Id, row.Message with { AttributeKeys = [] }, row.Attempts));
            }
            return ValueTask.FromResult<IReadOnlyList<OutboxEntry>>(leased);
        }
    }

    public ValueTask<int> AckAsync(IReadOnlyCollection<long> ids, CancellationToken cancellationToken = default)
    {
        lock (_gate)
        {
            return ValueTask.FromResult(ids.Count(id => Remove(id) is not null));
        }
    }

    public ValueTask<int> ReleaseAsync(IReadOnlyCollection<long> ids, CancellationToken cancellationToken = default)
    {
        lock (_gate)
        {
            var released = 0;
            foreach (var id in ids)
            {
                if (_rows.TryGetValue(id, out var row))
                {
                    row.LeasedUntil = null;
                    released++;
                }
            }
            return ValueTask.FromResult(released);
        }
    }

    public ValueTask<int> DeadLetterAsync(IReadOnlyCollection<long> ids, DeadLetterCause cause, string reason, CancellationToken cancellationToken = default)
    {
        lock (_gate)
        {
            var moved = ids.Count(id => Remove(id) is not null);
            _deadLetters += moved;
            return ValueTask.FromResult(moved);
        }
    }

    public ValueTask<int> PurgeExpiredAsync(CancellationToken cancellationToken = default)
    {
        lock (_gate)
        {
            return ValueTask.FromResult(Purge(_clock.NowMs));
        }
    }

    public ValueTask<OutboxStats> GetStatsAsync(CancellationToken cancellationToken = default)
    {
        lock (_gate)
        {
            var oldest = _rows.Count == 0 ? TimeSpan.Zero : TimeSpan.FromMilliseconds(_clock.NowMs - _rows.First().Value.EnqueuedAt);
            return ValueTask.FromResult(new OutboxStats(_rows.Count, _bytes, oldest, new Dictionary<DropKey, long>(_drops), _deadLetters, _commits));
        }
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    private int Purge(long now)
    {
        var cutoff = now - (long)_options.MaxAge.TotalMilliseconds;
        var expired = _rows.Values
            .TakeWhile(r => r.EnqueuedAt <= cutoff)
            .Where(r => OutboxPolicy.Expires(r.Message.Kind) && !(r.LeasedUntil > now))
            .ToList();
        foreach (var row in expired)
        {
            Drop(row, DropReason.Expired);
        }
        foreach (var key in _dedup.Where(d => d.Value.ExpiresAt <= now).Select(d => d.Key).ToList())
        {
            _dedup.Remove(key);
        }
        return expired.Count;
    }

    // Plans the drops first and applies them only if they make enough room, so a refusal changes nothing.
    private bool MakeRoom(Row incoming, long needed, DropReason binding, long now)
    {
        var victims = new List<(Row Row, DropReason Reason)>();
        long freed = 0;
        foreach (var row in _rows.Values.Where(r => OutboxPolicy.Compactable(r.Message.Kind) && !(r.LeasedUntil > now) && IsSuperseded(r, incoming)))
        {
            victims.Add((row, DropReason.Compacted));
            freed += row.Size;
        }
        if (freed < needed)
        {
            foreach (var row in _rows.Values.Where(r => OutboxPolicy.DroppableForSpace(r.Message.Kind) && !(r.LeasedUntil > now)))
            {
                victims.Add((row, binding));
                freed += row.Size;
                if (freed >= needed)
                {
                    break;
                }
            }
        }
        if (freed < needed)
        {
            return false;
        }
        foreach (var (row, reason) in victims)
        {
            Drop(row, reason);
        }
        return true;
    }

    private bool IsSuperseded(Row row, Row incoming) =>
        row.Keys.Length > 0 && row.Keys.All(key =>
            _rows.Values.Any(later => later.Id > row.Id && later.Message.Device == row.Message.Device && later.Keys.Contains(key))
            || (incoming.Message.Device == row.Message.Device && incoming.Keys.Contains(key)));

    private void Drop(Row row, DropReason reason)
    {
        Remove(row.Id);
        var key = new DropKey(row.Message.Kind, reason);
        _drops[key] = _drops.GetValueOrDefault(key) + 1;
    }

    private Row? Remove(long id)
    {
        if (!_rows.Remove(id, out var row))
        {
            return null;
        }
        _bytes -= row.Size;
        return row;
    }

    private sealed class Row(long id, OutboxMessage message, long size, long enqueuedAt, string[] keys)
    {
        public long Id { get; } = id;
        public OutboxMessage Message { get; } = message;
        public long Size { get; } = size;
        public long EnqueuedAt { get; } = enqueuedAt;
        public string[] Keys { get; } = keys;
        public long? LeasedUntil { get; set; }
        public int Attempts { get; set; }
    }
}
