namespace Gateway.Storage.Dataports;

/// <summary>Exosite dataport values per device and alias, with a bounded history (StorageOptions.DataportHistory).</summary>
public interface IDataportStore
{
    /// <summary>Appends a value; the oldest beyond the history bound are deleted in the same transaction.</summary>
    Task WriteAsync(string device, string alias, string value, DateTimeOffset at, CancellationToken cancellationToken = default);

    /// <summary>Up to <paramref name="count"/> values of the alias, newest first (what <c>GET /1a/&lt;alias&gt;</c> reads from).</summary>
    Task<IReadOnlyList<DataportValue>> ReadAsync(string device, string alias, int count = 1, CancellationToken cancellationToken = default);
}
