namespace Gateway.Storage.Devices;

/// <summary><see cref="ICloudNameStore"/> on the gateway database (table <c>cloud_name</c>).</summary>
public sealed class SqliteCloudNameStore(SqliteDatabase database) : ICloudNameStore
{
    public Task<IReadOnlyDictionary<string, string>> ListAsync(CancellationToken cancellationToken = default)
    {
        using var connection = database.OpenConnection();
        IReadOnlyDictionary<string, string> names = Sql.Query(connection, "SELECT device, cloud_name FROM cloud_name",
            r => (r.GetString(0), r.GetString(1))).ToDictionary(p => p.Item1, p => p.Item2, StringComparer.Ordinal);
        return Task.FromResult(names);
    }

    public Task SetAsync(string device, string cloudName, CancellationToken cancellationToken = default)
    {
        using var connection = database.OpenConnection();
        using var transaction = connection.BeginTransaction(deferred: false);
        // The cloud name is unique: another device that held it (an earlier rename) gives it up.
        Sql.Execute(connection, "DELETE FROM cloud_name WHERE cloud_name = $c OR device = $d", ("$c", cloudName), ("$d", device));
        if (!string.Equals(device, cloudName, StringComparison.Ordinal))
            Sql.Execute(connection, "INSERT INTO cloud_name (device, cloud_name, updated_ms) VALUES ($d, $c, $u)",
                ("$d", device), ("$c", cloudName), ("$u", DateTimeOffset.UtcNow.ToUnixTimeMilliseconds()));
        transaction.Commit();
        return Task.CompletedTask;
    }
}
