namespace Gateway.Storage;

/// <summary>
/// The database file failed its integrity check or is not a database. The file is left exactly as
/// it was found: the operator decides whether to move it aside (and lose its queue) or recover it.
/// </summary>
public sealed class StorageCorruptException : Exception
{
    public StorageCorruptException(string path, string detail, Exception? inner = null)
        : base($"The gateway database '{path}' is damaged ({detail}). It was not modified. Stop the service, " +
               $"keep a copy, then try 'sqlite3 {path} .recover' or move the file aside to start with an empty queue.", inner)
    {
        DatabasePath = path;
        Detail = detail;
    }

    /// <summary>The damaged file.</summary>
    public string DatabasePath { get; }

    /// <summary>What SQLite reported (the first lines of the check, or the error).</summary>
    public string Detail { get; }
}
