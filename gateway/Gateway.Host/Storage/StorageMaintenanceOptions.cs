namespace Gateway.Host.Storage;

/// <summary>Host-side keys of the <c>Storage</c> section (the library's own keys are in <see cref="Gateway.Storage.StorageOptions"/>).</summary>
public sealed class StorageMaintenanceOptions
{
    /// <summary>Seconds between expiry sweeps of the outbox (MaxAge, dedup records) and of downlinks past their TTL.</summary>
    public int MaintenanceIntervalSeconds { get; set; } = 60;

    public IEnumerable<string> Validate()
    {
        if (MaintenanceIntervalSeconds is < 1 or > 86400) yield return $"Storage:MaintenanceIntervalSeconds: {MaintenanceIntervalSeconds} is not between 1 and 86400";
    }
}
