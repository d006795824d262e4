using Gateway.Storage.Devices;

namespace Gateway.Bridge.Devices;

/// <summary>
/// Local device name ↔ the name ThingsBoard knows it by. ThingsBoard renames a sub-device in the
/// cloud and tells the gateway with the persistent RPC <c>gateway_device_renamed</c>
/// (<c>{"old name":"new name"}</c>, thingsboard.md §4.5); every message the bridge builds from then on,
/// also from rows queued before, carries the new name, and downlinks addressed to it reach the local
/// device. Persisted (<see cref="ICloudNameStore"/>), so a restart keeps it. A device that was never
/// renamed has its local name in the cloud.
/// </summary>
public sealed class CloudNames(ICloudNameStore? store = null)
{
    private readonly Lock _gate = new();
    private Dictionary<string, string> _toCloud = new(StringComparer.Ordinal);
    private Dictionary<string, string> _toLocal = new(StringComparer.Ordinal);

    /// <summary>Loads the persisted renames.</summary>
    public async Task LoadAsync(CancellationToken cancellationToken)
    {
        if (store is null) return;
        var names = await store.ListAsync(cancellationToken).ConfigureAwait(false);
        lock (_gate)
        {
            _toCloud = new Dictionary<string, string>(names, StringComparer.Ordinal);
            _toLocal = names.ToDictionary(p => p.Value, p => p.Key, StringComparer.Ordinal);
        }
    }

    /// <summary>The name the cloud knows <paramref name="device"/> (a local name) by.</summary>
    public string CloudName(string device)
    {
        lock (_gate) return _toCloud.GetValueOrDefault(device, device);
    }

    /// <summary>The local device a cloud name stands for (the name itself unless it is a renamed device's).</summary>
    public string LocalName(string cloudName)
    {
        lock (_gate) return _toLocal.GetValueOrDefault(cloudName, cloudName);
    }

    /// <summary>Every renamed device, local name → cloud name.</summary>
    public IReadOnlyDictionary<string, string> Renamed()
    {
        lock (_gate) return new Dictionary<string, string>(_toCloud, StringComparer.Ordinal);
    }

    /// <summary>
    /// The cloud renamed <paramref name="oldCloudName"/> to <paramref name="newCloudName"/>: stored
    /// first, then applied. Returns the local device it concerns.
    /// </summary>
    public async Task<string> RenameAsync(string oldCloudName, string newCloudName, CancellationToken cancellationToken)
    {
        var device = LocalName(oldCloudName);
        if (store is not null) await store.SetAsync(device, newCloudName, cancellationToken).ConfigureAwait(false);
        lock (_gate)
        {
            if (_toCloud.Remove(device, out var previous)) _toLocal.Remove(previous);
            if (_toLocal.Remove(newCloudName, out var holder)) _toCloud.Remove(holder);
            if (!string.Equals(device, newCloudName, StringComparison.Ordinal))
            {
                _toCloud[device] = newCloudName;
                _toLocal[newCloudName] = device;
            }
        }
        return device;
    }
}
