namespace Gateway.Host.Storage;

/// <summary>Another gateway process holds the <see cref="DataDirectoryLock"/> of the data directory.</summary>
public sealed class DataDirectoryInUseException(string dataDir, int? holderPid)
    : Exception($"data directory {dataDir} is in use by another gateway ({(holderPid is { } pid ? $"PID {pid}" : "PID unknown")}); stop it, or give this one its own --data-dir")
{
    public string DataDir { get; } = dataDir;

    public int? HolderPid { get; } = holderPid;
}
