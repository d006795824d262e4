namespace Gateway.Storage.Attributes;

/// <summary>The gateway's copy of each device's client and shared attributes (answers attribute requests while offline).</summary>
public interface IAttributeStore
{
    /// <summary>Upserts values (key → JSON text) in one transaction, all stamped <paramref name="updated"/>.</summary>
    Task SetAsync(string device, AttributeScope scope, IReadOnlyDictionary<string, string> values, DateTimeOffset updated, CancellationToken cancellationToken = default);

    /// <summary>The requested keys that exist (all keys if <paramref name="keys"/> is null), ordered by key.</summary>
    Task<IReadOnlyList<AttributeValue>> GetAsync(string device, AttributeScope scope, IReadOnlyCollection<string>? keys = null, CancellationToken cancellationToken = default);

    /// <summary>Removes keys (a shared attribute deleted in the cloud); returns how many existed.</summary>
    Task<int> DeleteAsync(string device, AttributeScope scope, IReadOnlyCollection<string> keys, CancellationToken cancellationToken = default);
}
