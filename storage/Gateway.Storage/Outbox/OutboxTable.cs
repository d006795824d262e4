using Microsoft.Data.Sqlite;

namespace Gateway.Storage.Outbox;

/// <summary>
/// The outbox's SQL, one method per statement, on one connection. Commands are created once and
/// reused so SQLite keeps them prepared; the caller owns the transaction and the locking. Rows in
/// <paramref name="leases"/> are in flight: no lease, drop or expiry touches them.
/// </summary>
internal sealed class OutboxTable(SqliteConnection connection, OutboxLeases? leases = null)
{
    private readonly OutboxLeases _leases = leases ?? new OutboxLeases();

    /// <summary>Rows per device, kept by every insert and delete here; <see cref="LoadDeviceRows"/> fills it at open.</summary>
    public OutboxDeviceRows DeviceRows { get; } = new();

    private readonly Dictionary<string, SqliteCommand> _commands = [];

    public SqliteTransaction? Transaction { get; set; }

    private const string InsertSql =
        "INSERT INTO outbox (device, kind, payload, content_format, received_at_ms, clock_synced, enqueued_clock, size) " +
        "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)";

    private RawStatement? _insert;

    // The drain's statements (lease read, acknowledgement), prepared once and run without Microsoft.Data.Sqlite's
    // per-call parameter objects and per-column checks (docs/performance.md, "The drain's SQL"). The insert keeps a field of its
    // own: it runs for every durable write, and a lookup by SQL text would hash the statement each time.
    private readonly Dictionary<string, RawStatement> _raw = [];

    /// <summary>The CoAP deduplication records, on the same connection and in the same transaction.</summary>
    public DedupTable Dedup { get; } = new(connection);

    public long Insert(OutboxMessage message, long size, long now)
    {
        var insert = _insert ??= new RawStatement(connection, InsertSql);
        insert.Bind(1, message.Device);
        insert.Bind(2, (long)message.Kind);
        insert.Bind(3, message.Payload.Span);
        insert.Bind(4, message.ContentFormat);
        insert.Bind(5, message.ReceivedAt.ToUnixTimeMilliseconds());
        insert.Bind(6, message.ClockSynced ? 1 : 0);
        insert.Bind(7, now);
        insert.Bind(8, size);
        var id = insert.ExecuteInsert();
        DeviceRows.Change(message.Device, 1);
        if (!OutboxPolicy.Compactable(message.Kind)) return id;
        foreach (var key in OutboxPolicy.KeysOf(message))
        {
            Execute("INSERT INTO outbox_key (id, device, key) VALUES ($i, $d, $k)", ("$i", id), ("$d", message.Device), ("$k", key));
        }
        return id;
    }

    // Per device, so the rows per device (DeviceRows) follow without a string per row.
    private static readonly string SelectDeletedSql =
        $"SELECT device, count(*), sum(size), max(kind = {(int)OutboxMessageKind.ClientAttributes}) FROM outbox WHERE id IN (SELECT value FROM json_each(?1)) GROUP BY device";
    private const string DeleteIdsSql = "DELETE FROM outbox WHERE id IN (SELECT value FROM json_each(?1))";

    /// <summary>
    /// Deletes the rows of <paramref name="ids"/> that are there and returns how many and their accounted bytes. One
    /// statement per batch (and one to read what goes) instead of one per row: per-statement overhead was most of an
    /// acknowledgement's cost in the drain bench (README "Performance").
    /// </summary>
    public (int Rows, long Bytes) DeleteAll(IReadOnlyCollection<long> ids)
    {
        int rows = 0;
        long bytes = 0;
        bool keyed = false;
        var array = IdArray(ids);
        // A SELECT, then a DELETE: RETURNING would run as a trigger program filling an ephemeral table (README,
        // "Two SQLite costs per durable write"). Both under the caller's transaction, so they see the same rows.
        var select = Raw(SelectDeletedSql);
        select.Bind(1, array);
        while (select.Read())
        {
            int count = select.GetInt32(1);
            DeviceRows.Change(select.GetString(0), -count);
            rows += count;
            bytes += select.GetInt64(2);
            keyed |= select.GetInt32(3) != 0;
        }
        DeleteIds(array, keyed);
        return (rows, bytes);
    }

    /// <summary>
    /// Deletes rows whose leases just ended (<see cref="OutboxLeases"/>): they are there, since nothing else deletes a
    /// leased row, and the lease kept their devices and sizes, so one DELETE does it, without the read of
    /// <see cref="DeleteAll"/>. Returns their count and accounted bytes.
    /// </summary>
    public (int Rows, long Bytes) DeleteLeased(List<OutboxLeases.LeasedRow> rows)
    {
        long bytes = 0;
        bool keyed = false;
        foreach (var row in rows)
        {
            DeviceRows.Change(row.Device, -1);
            bytes += row.Size;
            keyed |= row.Keyed;
        }
        // A drain acknowledges runs of consecutive ids: one range each, instead of a JSON array SQLite parses and
        // then seeks row by row (half an acknowledgement's time; docs/performance.md, "The drain's chain"). What is left over goes
        // as before.
        List<long>? scattered = null;
        for (int start = 0, end; start < rows.Count; start = end)
        {
            for (end = start + 1; end < rows.Count && rows[end].Id == rows[end - 1].Id + 1; end++) { }
            if (end - start >= MinRange) DeleteRange(rows[start].Id, rows[end - 1].Id);
            else for (int i = start; i < end; i++) (scattered ??= []).Add(rows[i].Id);
        }
        if (scattered is not null) DeleteIds(IdArray(scattered), keyed: false);
        if (keyed) DeleteKeys(IdArray(rows.Select(r => r.Id)));
        return (rows.Count, bytes);
    }

    /// <summary>The shortest run of consecutive ids deleted as a range; shorter ones join the JSON array.</summary>
    private const int MinRange = 4;

    private const string DeleteRangeSql = "DELETE FROM outbox WHERE id BETWEEN ?1 AND ?2";

    private void DeleteRange(long first, long last)
    {
        var delete = Raw(DeleteRangeSql);
        delete.Bind(1, first);
        delete.Bind(2, last);
        delete.Execute();
    }

    /// <summary>Deletes the rows of the JSON id array and, when some of them have attribute keys, their keys.</summary>
    private void DeleteIds(string array, bool keyed)
    {
        var delete = Raw(DeleteIdsSql);
        delete.Bind(1, array);
        delete.Execute();
        if (keyed) DeleteKeys(array);
    }

    private void DeleteKeys(string array) => Execute("DELETE FROM outbox_key WHERE id IN (SELECT value FROM json_each($a))", ("$a", array));

    /// <summary>Deletes a row; returns its kind and size, or null if it was not there.</summary>
    public (OutboxMessageKind Kind, long Size)? Delete(long id)
    {
        (OutboxMessageKind, long)? deleted = null;
        using (var reader = Reader("DELETE FROM outbox WHERE id = $i RETURNING kind, size, device", ("$i", id)))
        {
            if (reader.Read())
            {
                deleted = ((OutboxMessageKind)reader.GetInt32(0), reader.GetInt64(1));
                DeviceRows.Change(reader.GetString(2), -1);
            }
        }
        if (deleted is { Item1: OutboxMessageKind.ClientAttributes })
        {
            Execute("DELETE FROM outbox_key WHERE id = $i", ("$i", id));
        }
        return deleted;
    }

    /// <param name="attempt">1 when the row is moved at the end of a lease (an attempt not counted yet), else 0.</param>
    public bool MoveToDeadLetter(long id, DeadLetterCause cause, string reason, long wallMs, int attempt)
    {
        if (Execute(
            "INSERT INTO dead_letter (id, device, kind, payload, content_format, received_at_ms, clock_synced, attempts, reason, dead_at_ms, cause, size) " +
            "SELECT id, device, kind, payload, content_format, received_at_ms, clock_synced, attempts + $a, $r, $t, $c, size FROM outbox WHERE id = $i",
            ("$i", id), ("$a", attempt), ("$r", reason), ("$t", wallMs), ("$c", cause.Name())) != 1) return false;
        Execute("INSERT INTO dead_letter_totals (cause, moved) VALUES ($c, 1) ON CONFLICT (cause) DO UPDATE SET moved = moved + 1", ("$c", cause.Name()));
        return true;
    }

    /// <summary>Dead letters an operator marked for retry (<c>coap-gateway dead-letter retry</c>), in id order.</summary>
    public List<long> DeadLettersMarkedForRetry()
    {
        var ids = new List<long>();
        using var reader = Reader("SELECT id FROM dead_letter WHERE retry = 1 ORDER BY id");
        while (reader.Read()) ids.Add(reader.GetInt64(0));
        return ids;
    }

    /// <summary>
    /// Moves a dead letter back into the outbox under its own id, so it takes its original place in id
    /// order (AUTOINCREMENT never handed the id out again). Its age starts again now: it would
    /// otherwise expire at once. Returns its accounted size, or null if it was not there.
    /// </summary>
    public long? RestoreDeadLetter(long id, long now)
    {
        var size = Scalar("SELECT size FROM dead_letter WHERE id = $i", ("$i", id)) as long?;
        if (size is null) return null;
        var device = (string)Scalar(
            "INSERT INTO outbox (id, device, kind, payload, content_format, received_at_ms, clock_synced, enqueued_clock, size) " +
            "SELECT id, device, kind, payload, content_format, received_at_ms, clock_synced, $n, size FROM dead_letter WHERE id = $i RETURNING device",
            ("$i", id), ("$n", now))!;
        DeviceRows.Change(device, 1);
        Execute("DELETE FROM dead_letter WHERE id = $i", ("$i", id));
        return size;
    }

    /// <summary>Deletes dead letters older than <paramref name="cutoffWallMs"/>, then the oldest until at most <paramref name="maxBytes"/> remain. Returns rows deleted.</summary>
    public int PruneDeadLetters(long cutoffWallMs, long maxBytes)
    {
        int pruned = Execute("DELETE FROM dead_letter WHERE dead_at_ms < $c", ("$c", cutoffWallMs));
        // The newest rows whose running total fits are kept; everything older goes.
        return pruned + Execute(
            "DELETE FROM dead_letter WHERE id IN (SELECT id FROM (SELECT id, sum(size) OVER (ORDER BY dead_at_ms DESC, id DESC) AS total FROM dead_letter) WHERE total > $m)",
            ("$m", maxBytes));
    }

    // The condition of the partial (kind, id) index (migration 0010; 1 is OutboxMessageKind.Telemetry): SQLite uses a
    // partial index only for a query whose WHERE names its condition, so the queries for the rare kinds say it too.
    private const string NotTelemetry = "kind <> 1";

    internal const string SupersededAttributesSql =
        "SELECT o.id, o.size FROM outbox o WHERE " + NotTelemetry + " AND o.kind = 2 AND o.id NOT IN (SELECT value FROM json_each($l)) " +
        "AND EXISTS (SELECT 1 FROM outbox_key k WHERE k.id = o.id) " +
        "AND NOT EXISTS (SELECT 1 FROM outbox_key k WHERE k.id = o.id AND NOT EXISTS " +
        "  (SELECT 1 FROM outbox_key l WHERE l.device = k.device AND l.key = k.key AND l.id > k.id)) ORDER BY o.id";

    /// <summary>Attribute rows not under an active lease whose every key is set again by a later row of the device.</summary>
    public List<(long Id, long Size)> SupersededAttributeRows() => ReadIdSizes(SupersededAttributesSql, ("$l", _leases.Json));

    public List<(long Id, long Size)> OldestTelemetry(long exceptId, int limit) => ReadIdSizes(
        "SELECT id, size FROM outbox WHERE kind = 1 AND id NOT IN (SELECT value FROM json_each($l)) AND id <> $x ORDER BY id LIMIT $m",
        ("$l", _leases.Json), ("$x", exceptId), ("$m", limit));

    /// <summary>Rows enqueued at or before <paramref name="cutoff"/>, in id order (which is also store-clock order).</summary>
    public List<(long Id, OutboxMessageKind Kind, bool Leased)> EnqueuedUpTo(long cutoff)
    {
        var rows = new List<(long, OutboxMessageKind, bool)>();
        // Ids grow with the store clock, so the scan stops at the first row that is young enough.
        using var reader = Reader("SELECT id, kind, enqueued_clock FROM outbox ORDER BY id");
        while (reader.Read() && reader.GetInt64(2) <= cutoff)
        {
            var id = reader.GetInt64(0);
            rows.Add((id, (OutboxMessageKind)reader.GetInt32(1), _leases.IsLeased(id)));
        }
        return rows;
    }

    private const string LeaseColumns = "SELECT id, device, kind, payload, content_format, received_at_ms, clock_synced, attempts, size FROM outbox ";
    // A device with rows in flight is skipped whole (its rows never overtake each other); its leased rows with it.
    private const string SkipInFlight = "WHERE device NOT IN (SELECT device FROM outbox WHERE id IN (SELECT value FROM json_each($l))) ";
    // Nothing in flight (the forwarder's usual lease: the last batch was acknowledged first): nothing to skip, and the
    // condition, even over an empty list, cost a third of SQLite's read (0.26 of 0.70 µs a row in sqlite3).
    private const string NothingInFlight = "WHERE true ";
    // The kinds of OutboxMessageKinds.IsAwaited, by number, from that one definition.
    private static readonly string AwaitedKinds = string.Join(", ",
        Enum.GetValues<OutboxMessageKind>().Where(k => k.IsAwaited()).Select(k => ((int)k).ToString(System.Globalization.CultureInfo.InvariantCulture)));
    internal static readonly LeaseQuery LeasableAwaited = new($"AND {NotTelemetry} AND kind IN ({AwaitedKinds}) ORDER BY id LIMIT $m");
    private static readonly LeaseQuery LeasableOthers = new($"AND kind NOT IN ({AwaitedKinds}) ORDER BY id LIMIT $m");
    private static readonly LeaseQuery LeasableLive = new($"AND kind NOT IN ({AwaitedKinds}) AND id IN (SELECT value FROM json_each($y)) ORDER BY id LIMIT $m");

    /// <summary>A lease's query in its two forms: skipping the devices of leased rows, and for when no row is leased.</summary>
    internal sealed class LeaseQuery(string condition)
    {
        public string SkippingInFlight { get; } = LeaseColumns + SkipInFlight + condition;

        public string NothingInFlight { get; } = LeaseColumns + OutboxTable.NothingInFlight + condition;
    }

    /// <summary>Rows looked at from the newest backwards to find where the live ones begin (more young rows count as backlog).</summary>
    private const int LiveScan = 2048;

    /// <summary>
    /// Awaited kinds first (through the (kind, id) index), then live rows (<see cref="IOutbox.LeaseAsync"/>:
    /// enqueued within <see cref="OutboxPolicy.LiveWindowMs"/> by a device with no older row), then the
    /// others, each in id order, without duplicates.
    /// </summary>
    /// <returns>The entries, each with its accounted size (for <see cref="OutboxLeases"/>).</returns>
    public List<(OutboxEntry Entry, long Size)> LeaseCandidates(long now, int max)
    {
        var entries = new List<(OutboxEntry Entry, long Size)>();
        Read(entries, LeasableAwaited, max);
        if (entries.Count < max && LiveIds(now) is { } live) Read(entries, LeasableLive, max - entries.Count, live);
        if (entries.Count >= max) return entries;
        var taken = entries.Select(e => e.Entry.Id).ToHashSet();
        var others = new List<(OutboxEntry Entry, long Size)>();
        Read(others, LeasableOthers, max - entries.Count + taken.Count);
        foreach (var entry in others)
        {
            if (entries.Count == max) break;
            if (!taken.Contains(entry.Entry.Id)) entries.Add(entry);
        }
        return entries;
    }

    private const string YoungTailSql = "SELECT id, device, enqueued_clock FROM outbox ORDER BY id DESC LIMIT ?1";

    /// <summary>
    /// The rows of the young tail (the newest rows back to the first old one; ids grow with the store clock) whose
    /// device has every one of its rows there, i.e. no older row; as a JSON array, or null when there are none.
    /// </summary>
    private string? LiveIds(long now)
    {
        var tail = new List<(long Id, string Device)>();
        var scan = Raw(YoungTailSql);
        scan.Bind(1, LiveScan);
        try
        {
            while (scan.Read() && scan.GetInt64(2) > now - OutboxPolicy.LiveWindowMs) tail.Add((scan.GetInt64(0), scan.GetString(1)));
        }
        finally
        {
            scan.Reset();
        }
        if (tail.Count == 0) return null;
        var inTail = tail.CountBy(r => r.Device, StringComparer.Ordinal).ToDictionary(StringComparer.Ordinal);
        var live = tail.Where(r => inTail[r.Device] == DeviceRows.Count(r.Device)).Select(r => r.Id).ToList();
        return live.Count == 0 ? null : IdArray(live);
    }

    /// <summary>
    /// Fills <see cref="DeviceRows"/> from the table and returns the depth and bytes of the same scan, so the owner's
    /// open reads every row once (<see cref="ReadTotals"/> is for a reader that needs no counts per device).
    /// </summary>
    public (long Depth, long Bytes) LoadDeviceRows()
    {
        long depth = 0, bytes = 0;
        using var reader = Reader("SELECT device, count(*), sum(size) FROM outbox GROUP BY device");
        while (reader.Read())
        {
            int rows = reader.GetInt32(1);
            DeviceRows.Change(reader.GetString(0), rows);
            depth += rows;
            bytes += reader.GetInt64(2);
        }
        DeviceRows.Commit();
        return (depth, bytes);
    }

    private void Read(List<(OutboxEntry Entry, long Size)> entries, LeaseQuery lease, int max, string? liveIds = null)
    {
        var inFlight = _leases.Count > 0;
        var query = Raw(inFlight ? lease.SkippingInFlight : lease.NothingInFlight);
        if (inFlight) query.Bind(query.ParameterIndex("$l"), _leases.Json);
        query.Bind(query.ParameterIndex("$m"), max);
        if (liveIds is not null) query.Bind(query.ParameterIndex("$y"), liveIds);
        // A lease names its devices over and over: one string per device, not per row.
        var devices = new DeviceNames();
        try
        {
            while (query.Read())
            {
                var device = devices.Of(query.GetUtf8(1));
                var message = new OutboxMessage(device, (OutboxMessageKind)query.GetInt32(2), query.GetBlob(3))
                {
                    ContentFormat = query.GetInt32(4),
                    ReceivedAt = DateTimeOffset.FromUnixTimeMilliseconds(query.GetInt64(5)),
                    ClockSynced = query.GetInt32(6) != 0,
                };
                // This lease is an attempt too; it is written only if the lease ends without delivery (CountAttempts).
                entries.Add((new OutboxEntry(query.GetInt64(0), message, query.GetInt32(7) + 1), query.GetInt64(8)));
            }
        }
        catch
        {
            query.Reset();
            throw;
        }
    }

    private RawStatement Raw(string sql)
    {
        if (!_raw.TryGetValue(sql, out var statement)) _raw[sql] = statement = new RawStatement(connection, sql);
        return statement;
    }

    /// <summary>Counts one more attempt for the rows of <paramref name="ids"/> that are there, in one statement; returns how many.</summary>
    public int CountAttempts(IEnumerable<long> ids) =>
        Execute("UPDATE outbox SET attempts = attempts + 1 WHERE id IN (SELECT value FROM json_each($a))", ("$a", IdArray(ids)));

    public void AddDrops(Dictionary<DropKey, long>? drops)
    {
        if (drops is null) return;
        foreach (var (key, count) in drops)
        {
            Execute("INSERT INTO outbox_drops (kind, reason, count) VALUES ($k, $r, $c) " +
                    "ON CONFLICT (kind, reason) DO UPDATE SET count = count + excluded.count",
                ("$k", (int)key.Kind), ("$r", (int)key.Reason), ("$c", count));
        }
    }

    public Dictionary<DropKey, long> ReadDrops()
    {
        var drops = new Dictionary<DropKey, long>();
        using var reader = Reader("SELECT kind, reason, count FROM outbox_drops");
        while (reader.Read())
        {
            drops[new DropKey((OutboxMessageKind)reader.GetInt32(0), (DropReason)reader.GetInt32(1))] = reader.GetInt64(2);
        }
        return drops;
    }

    public (long Depth, long Bytes, long DeadLetters) ReadTotals()
    {
        using var reader = Reader("SELECT count(*), coalesce(sum(size), 0) FROM outbox");
        reader.Read();
        return (reader.GetInt64(0), reader.GetInt64(1), ReadDeadLetterTotal());
    }

    public long ReadDeadLetterTotal() => (long)Scalar("SELECT coalesce(sum(moved), 0) FROM dead_letter_totals")!;

    public long? OldestEnqueuedAt() => Scalar("SELECT enqueued_clock FROM outbox ORDER BY id LIMIT 1") as long?;

    public long ReadClock() => Scalar("SELECT value FROM meta WHERE key = 'store_clock'") as long? ?? 0;

    /// <summary>Wall-clock Unix ms at which the store clock was last saved, if it ever was (older databases did not record it).</summary>
    public long? ReadClockSavedAt() => Scalar("SELECT value FROM meta WHERE key = 'store_clock_saved_ms'") as long?;

    // The wall time beside it lets a reader outside the running service (coap-gateway status) carry
    // the clock forward to now; the service saves it only about once a second, and not at all while idle.
    public void SaveClock(long now, long wallMs) => Execute(
        "INSERT INTO meta (key, value) VALUES ('store_clock', $v), ('store_clock_saved_ms', $w) ON CONFLICT (key) DO UPDATE SET " +
        "value = CASE WHEN key = 'store_clock' THEN max(value, excluded.value) ELSE excluded.value END",
        ("$v", now), ("$w", wallMs));

    /// <summary>Bytes SQLite can reuse inside the file without growing it.</summary>
    public long FreelistBytes() => (long)Scalar("PRAGMA freelist_count")! * (long)Scalar("PRAGMA page_size")!;

    public void Dispose()
    {
        _insert?.Dispose();
        _insert = null;
        foreach (var statement in _raw.Values) statement.Dispose();
        _raw.Clear();
        Dedup.Dispose();
        foreach (var command in _commands.Values)
        {
            command.Dispose();
        }
        _commands.Clear();
    }

    /// <summary>Ids as a JSON array, the one parameter of an <c>id IN (SELECT value FROM json_each(…))</c> statement.</summary>
    internal static string IdArray(IEnumerable<long> ids)
    {
        var text = new System.Text.StringBuilder("[");
        foreach (var id in ids)
        {
            if (text.Length > 1) text.Append(',');
            text.Append(id);
        }
        return text.Append(']').ToString();
    }

    private List<(long, long)> ReadIdSizes(string sql, params (string, object)[] args)
    {
        var rows = new List<(long, long)>();
        using var reader = Reader(sql, args);
        while (reader.Read())
        {
            rows.Add((reader.GetInt64(0), reader.GetInt64(1)));
        }
        return rows;
    }

    private int Execute(string sql, params (string, object)[] args) => Prepare(sql, args).ExecuteNonQuery();

    private object? Scalar(string sql, params (string, object)[] args) => Prepare(sql, args).ExecuteScalar();

    private SqliteDataReader Reader(string sql, params (string, object)[] args) => Prepare(sql, args).ExecuteReader();

    private SqliteCommand Prepare(string sql, (string Name, object Value)[] args)
    {
        if (!_commands.TryGetValue(sql, out var command))
        {
            command = connection.CreateCommand();
            command.CommandText = sql;
            _commands[sql] = command;
        }
        command.Transaction = Transaction;
        command.Parameters.Clear();
        foreach (var (name, value) in args)
        {
            command.Parameters.AddWithValue(name, value);
        }
        return command;
    }
}
