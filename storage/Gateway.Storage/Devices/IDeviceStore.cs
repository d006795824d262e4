namespace Gateway.Storage.Devices;

/// <summary>Known devices and their credentials (ThingsBoard tokens, Exosite identity, activation and CIK).</summary>
public interface IDeviceStore
{
    /// <summary>Registers a device; returns the access token (given or generated), or null for an Exosite device awaiting activation.
    /// Throws <see cref="InvalidOperationException"/> if the name, token or Exosite identity is taken.</summary>
    Task<string?> AddAsync(NewDevice device, CancellationToken cancellationToken = default);

    /// <summary>The device holding this access token, compared in constant time; null if none.</summary>
    Task<DeviceRecord?> FindByTokenAsync(string token, CancellationToken cancellationToken = default);

    /// <summary>The activated Exosite device holding this CIK; null if none.</summary>
    Task<DeviceRecord?> FindByCikAsync(string cik, CancellationToken cancellationToken = default);

    /// <summary>The device of a DTLS PSK identity and its key (decrypted), or null if none.</summary>
    Task<(DeviceRecord Device, byte[] Key)?> FindByPskIdentityAsync(string identity, CancellationToken cancellationToken = default);

    /// <summary>The device registered with this client certificate (SHA-256 of its DER encoding), or null.</summary>
    Task<DeviceRecord?> FindByCertificateAsync(byte[] sha256, CancellationToken cancellationToken = default);

    Task<DeviceRecord?> FindByNameAsync(string name, CancellationToken cancellationToken = default);

    /// <summary>
    /// Exosite activation (<c>POST /provision/activate</c>): for a registered, not yet activated
    /// (vendor, model, serial) issues a new 40-hex-digit CIK, stores its hash and returns it once;
    /// null if unknown or already activated (Exosite answers 4.09 then).
    /// </summary>
    Task<string?> ActivateAsync(string vendor, string model, string serial, CancellationToken cancellationToken = default);

    Task<IReadOnlyList<DeviceRecord>> ListAsync(CancellationToken cancellationToken = default);

    /// <summary>How many devices are registered, without reading them (the census runs every minute; a list of 10,000 records was ≈ 9 MiB of garbage).</summary>
    Task<DeviceCount> CountAsync(CancellationToken cancellationToken = default);

    /// <summary>Removes a device and its attributes, dataports, downlinks and observe relations; false if unknown.</summary>
    Task<bool> RemoveAsync(string name, CancellationToken cancellationToken = default);
}
