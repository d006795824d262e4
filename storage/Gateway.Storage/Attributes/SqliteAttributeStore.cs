namespace Gateway.Storage.Attributes;

/// <summary><see cref="IAttributeStore"/> on the gateway database.</summary>
public sealed class SqliteAttributeStore(SqliteDatabase database) : IAttributeStore
{
    public Task SetAsync(string device, AttributeScope scope, IReadOnlyDictionary<string, string> values, DateTimeOffset updated, CancellationToken cancellationToken = default)
    {
        using var connection = database.OpenConnection();
        using var transaction = connection.BeginTransaction(deferred: false);
        foreach (var (key, json) in values)
        {
            Sql.Execute(connection,
                "INSERT INTO attribute (device, scope, key, value, updated_ms) VALUES ($d, $s, $k, $v, $u) " +
                "ON CONFLICT (device, scope, key) DO UPDATE SET value = excluded.value, updated_ms = excluded.updated_ms",
                ("$d", device), ("$s", (int)scope), ("$k", key), ("$v", json), ("$u", updated.ToUnixTimeMilliseconds()));
        }
        transaction.Commit();
        return Task.CompletedTask;
    }

    public Task<IReadOnlyList<AttributeValue>> GetAsync(string device, AttributeScope scope, IReadOnlyCollection<string>? keys = null, CancellationToken cancellationToken = default)
    {
        using var connection = database.OpenConnection();
        var all = Sql.Query(connection, "SELECT key, value, updated_ms FROM attribute WHERE device = $d AND scope = $s ORDER BY key",
            r => new AttributeValue(r.GetString(0), r.GetString(1), r.UnixMs(2)), ("$d", device), ("$s", (int)scope));
        IReadOnlyList<AttributeValue> result = keys is null ? all : all.Where(a => keys.Contains(a.Key)).ToList();
        return Task.FromResult(result);
    }

    public Task<int> DeleteAsync(string device, AttributeScope scope, IReadOnlyCollection<string> keys, CancellationToken cancellationToken = default)
    {
        using var connection = database.OpenConnection();
        using var transaction = connection.BeginTransaction(deferred: false);
        var deleted = keys.Sum(key => Sql.Execute(connection, "DELETE FROM attribute WHERE device = $d AND scope = $s AND key = $k",
            ("$d", device), ("$s", (int)scope), ("$k", key)));
        transaction.Commit();
        return Task.FromResult(deleted);
    }
}
