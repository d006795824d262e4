namespace Gateway.Storage.Dataports;

/// <summary><see cref="IDataportStore"/> on the gateway database.</summary>
public sealed class SqliteDataportStore(SqliteDatabase database) : IDataportStore
{
    public Task WriteAsync(string device, string alias, string value, DateTimeOffset at, CancellationToken cancellationToken = default)
    {
        using var connection = database.OpenConnection();
        using var transaction = connection.BeginTransaction(deferred: false);
        Sql.Execute(connection, "INSERT INTO dataport_value (device, alias, value, at_ms) VALUES ($d, $a, $v, $t)",
            ("$d", device), ("$a", alias), ("$v", value), ("$t", at.ToUnixTimeMilliseconds()));
        Sql.Execute(connection,
            "DELETE FROM dataport_value WHERE device = $d AND alias = $a AND id < " +
            "(SELECT min(id) FROM (SELECT id FROM dataport_value WHERE device = $d AND alias = $a ORDER BY id DESC LIMIT $n))",
            ("$d", device), ("$a", alias), ("$n", Math.Max(1, database.Options.DataportHistory)));
        transaction.Commit();
        return Task.CompletedTask;
    }

    public Task<IReadOnlyList<DataportValue>> ReadAsync(string device, string alias, int count = 1, CancellationToken cancellationToken = default)
    {
        using var connection = database.OpenConnection();
        return Task.FromResult<IReadOnlyList<DataportValue>>(Sql.Query(connection,
            "SELECT alias, value, at_ms FROM dataport_value WHERE device = $d AND alias = $a ORDER BY id DESC LIMIT $n",
            r => new DataportValue(r.GetString(0), r.GetString(1), r.UnixMs(2)), ("$d", device), ("$a", alias), ("$n", count)));
    }
}
