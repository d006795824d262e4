namespace Gateway.Storage.Devices;

/// <summary>
/// Local device name → the name ThingsBoard knows it by after a rename in the cloud. Only renamed
/// devices have an entry; a device's cloud name is otherwise its local name.
/// </summary>
public interface ICloudNameStore
{
    /// <summary>Every entry, local name → cloud name.</summary>
    Task<IReadOnlyDictionary<string, string>> ListAsync(CancellationToken cancellationToken = default);

    /// <summary>Sets the cloud name of <paramref name="device"/>; a cloud name equal to the local one removes the entry.</summary>
    Task SetAsync(string device, string cloudName, CancellationToken cancellationToken = default);
}
