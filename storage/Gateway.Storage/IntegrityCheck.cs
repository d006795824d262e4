namespace Gateway.Storage;

/// <summary>Which SQLite consistency check runs on open.</summary>
public enum IntegrityCheck
{
    /// <summary>No check.</summary>
    None,

    /// <summary><c>PRAGMA quick_check</c>: page structure and constraints, skips index/table cross-checks; seconds on a large Pi database.</summary>
    Quick,

    /// <summary><c>PRAGMA integrity_check</c>: everything, including index contents.</summary>
    Full,
}
