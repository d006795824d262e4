namespace Gateway.Storage.Outbox;

/// <summary>
/// The dead-letter table as the operator's CLI sees it, beside a running service. It never touches
/// the outbox itself: a retry only marks rows, and the service that owns the outbox moves them back
/// at its next maintenance sweep (so its in-memory queue figures stay exact); without a running
/// service they move at its next start.
/// </summary>
public static class DeadLetterRegister
{
    public static IReadOnlyList<DeadLetter> List(SqliteDatabase database)
    {
        ArgumentNullException.ThrowIfNull(database);
        using var connection = database.OpenConnection();
        return Sql.Query(connection,
            "SELECT id, device, kind, length(payload), received_at_ms, attempts, cause, reason, dead_at_ms, retry FROM dead_letter ORDER BY id",
            r => new DeadLetter(r.GetInt64(0), r.GetString(1), (OutboxMessageKind)r.GetInt32(2), r.GetInt32(3), r.UnixMs(4), r.GetInt32(5),
                r.GetString(6), r.GetString(7), r.UnixMs(8), r.GetInt32(9) != 0));
    }

    /// <summary>Dead letters held now, by cause.</summary>
    public static IReadOnlyDictionary<string, long> CountsByCause(SqliteDatabase database)
    {
        ArgumentNullException.ThrowIfNull(database);
        using var connection = database.OpenConnection();
        return Sql.Query(connection, "SELECT cause, count(*) FROM dead_letter GROUP BY cause ORDER BY cause", r => (r.GetString(0), r.GetInt64(1)))
            .ToDictionary(c => c.Item1, c => c.Item2, StringComparer.Ordinal);
    }

    /// <summary>Marks the rows (all when <paramref name="id"/> is null) for retry. Returns rows marked.</summary>
    public static int MarkForRetry(SqliteDatabase database, long? id) =>
        Execute(database, "UPDATE dead_letter SET retry = 1", id);

    /// <summary>Deletes the rows (all when <paramref name="id"/> is null) for good. Returns rows deleted.</summary>
    public static int Drop(SqliteDatabase database, long? id) =>
        Execute(database, "DELETE FROM dead_letter", id);

    private static int Execute(SqliteDatabase database, string sql, long? id)
    {
        ArgumentNullException.ThrowIfNull(database);
        using var connection = database.OpenConnection();
        return id is { } one ? Sql.Execute(connection, sql + " WHERE id = $i", ("$i", one)) : Sql.Execute(connection, sql);
    }
}
