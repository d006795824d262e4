using System.Runtime.InteropServices;

namespace Gateway.Storage;

/// <summary>
/// The few SQLite C functions a <see cref="RawStatement"/> calls per row, bound straight to the library SQLitePCLRaw
/// loads (e_sqlite3, shipped beside the executable), by raw handle. Through SQLitePCLRaw every call went through an
/// interface dispatch to its provider and a SafeHandle reference count (add, then release), 5–6 % of the gateway's
/// CPU while it drains a backlog (docs/performance.md, "The drain's chain"). The handles stay owned by SQLitePCLRaw's SafeHandles,
/// which the statement keeps alive. The accessors that read the current row or set a binding skip the GC transition
/// (<see cref="SuppressGCTransitionAttribute"/>: short, no I/O, no callback; a row's columns are read from the pages,
/// overflow pages included, by the step that produced it, and the accessors read that result); step and reset do not,
/// since they read pages and may wait for a lock. Measured: without the suppression on the column accessors the drain
/// ran at 423,000 / 361,000 against 443,000 / 417,000 rows/s (alternating single rounds).
/// </summary>
internal static unsafe partial class SqliteNative
{
    private const string Library = "e_sqlite3";

    /// <summary>SQLITE_TRANSIENT: SQLite copies the bound value before the call returns.</summary>
    public static readonly nint Transient = -1;

    [LibraryImport(Library)]
    public static partial int sqlite3_step(nint statement);

    [LibraryImport(Library)]
    public static partial int sqlite3_reset(nint statement);

    [LibraryImport(Library), SuppressGCTransition]
    public static partial long sqlite3_column_int64(nint statement, int column);

    [LibraryImport(Library), SuppressGCTransition]
    public static partial int sqlite3_column_int(nint statement, int column);

    [LibraryImport(Library), SuppressGCTransition]
    public static partial byte* sqlite3_column_blob(nint statement, int column);

    [LibraryImport(Library), SuppressGCTransition]
    public static partial byte* sqlite3_column_text(nint statement, int column);

    [LibraryImport(Library), SuppressGCTransition]
    public static partial int sqlite3_column_bytes(nint statement, int column);

    [LibraryImport(Library), SuppressGCTransition]
    public static partial int sqlite3_bind_int64(nint statement, int index, long value);

    [LibraryImport(Library), SuppressGCTransition]
    public static partial int sqlite3_bind_text16(nint statement, int index, char* value, int bytes, nint destructor);

    [LibraryImport(Library), SuppressGCTransition]
    public static partial int sqlite3_bind_blob(nint statement, int index, byte* value, int bytes, nint destructor);

    [LibraryImport(Library), SuppressGCTransition]
    public static partial int sqlite3_bind_zeroblob(nint statement, int index, int bytes);

    [LibraryImport(Library), SuppressGCTransition]
    public static partial int sqlite3_changes(nint database);

    [LibraryImport(Library), SuppressGCTransition]
    public static partial long sqlite3_last_insert_rowid(nint database);
}
