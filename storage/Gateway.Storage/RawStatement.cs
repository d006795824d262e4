using Microsoft.Data.Sqlite;
using SQLitePCL;

namespace Gateway.Storage;

/// <summary>
/// One statement prepared once on a connection and bound straight from spans, for the per-row
/// statements of a group commit. Microsoft.Data.Sqlite allocates per execution (parameter objects,
/// boxed values, a binder, a copy of every blob); this binds a payload and a device name without a
/// copy. It runs inside whatever transaction the connection has open, like any statement on it.
/// Errors surface as <see cref="SqliteException"/>, the same as through a <see cref="SqliteCommand"/>. The per-row calls
/// go straight to SQLite by raw handle (<see cref="SqliteNative"/>); the rare ones through SQLitePCLRaw.
/// </summary>
internal sealed unsafe class RawStatement : IDisposable
{
    private const int SqliteRow = 100, SqliteDone = 101;

    private readonly sqlite3 _db;
    private readonly sqlite3_stmt _statement;
    // Owned by the SafeHandles above, which this object keeps alive; valid until Dispose.
    private readonly nint _dbHandle;
    private readonly nint _handle;

    /// <param name="connection">An open connection; the statement must be disposed before it closes.</param>
    /// <param name="sql">One statement with numbered parameters (<c>?1</c>, <c>?2</c>, …).</param>
    public RawStatement(SqliteConnection connection, string sql)
    {
        _db = connection.Handle!;
        // SQLITE_PREPARE_PERSISTENT: kept for the connection's lifetime, so SQLite may allocate it for long use.
        int rc = raw.sqlite3_prepare_v3(_db, sql, raw.SQLITE_PREPARE_PERSISTENT, out _statement);
        if (rc != raw.SQLITE_OK) SqliteException.ThrowExceptionForRC(rc, _db);
        _dbHandle = _db.DangerousGetHandle();
        _handle = _statement.DangerousGetHandle();
    }

    /// <summary>The largest parameter number the statement uses.</summary>
    public int ParameterCount => raw.sqlite3_bind_parameter_count(_statement);

    public void Bind(int index, long value) => Check(SqliteNative.sqlite3_bind_int64(_handle, index, value));

    /// <summary>Binds text from UTF-16 (SQLite stores it in the database's UTF-8); an empty span binds empty text, never NULL.</summary>
    public void Bind(int index, ReadOnlySpan<char> value)
    {
        char none = '\0';
        fixed (char* text = value)
        {
            // A null pointer would bind NULL.
            Check(SqliteNative.sqlite3_bind_text16(_handle, index, text is null ? &none : text, value.Length * sizeof(char), SqliteNative.Transient));
        }
    }

    /// <summary>Binds a blob; an empty span binds a zero-length blob, never NULL.</summary>
    public void Bind(int index, ReadOnlySpan<byte> value)
    {
        if (value.IsEmpty)
        {
            Check(SqliteNative.sqlite3_bind_zeroblob(_handle, index, 0));
            return;
        }
        fixed (byte* blob = value) Check(SqliteNative.sqlite3_bind_blob(_handle, index, blob, value.Length, SqliteNative.Transient));
    }

    /// <summary>Runs the statement to its end; returns the rows it changed.</summary>
    public int Execute()
    {
        try
        {
            int rc = SqliteNative.sqlite3_step(_handle);
            while (rc == SqliteRow) rc = SqliteNative.sqlite3_step(_handle);
            if (rc != SqliteDone) SqliteException.ThrowExceptionForRC(rc, _db);
            return SqliteNative.sqlite3_changes(_dbHandle);
        }
        finally
        {
            SqliteNative.sqlite3_reset(_handle);
        }
    }

    /// <summary>
    /// Runs an INSERT of one row and returns its rowid. Read from the connection (sqlite3_last_insert_rowid) rather
    /// than by RETURNING, which SQLite runs as a trigger program filling an ephemeral table (a sixth of a durable
    /// write's CPU; docs/performance.md, "Two SQLite costs per durable write"). The caller holds the connection, so no other
    /// insert comes between.
    /// </summary>
    public long ExecuteInsert()
    {
        Execute();
        return SqliteNative.sqlite3_last_insert_rowid(_dbHandle);
    }

    /// <summary>Runs a query and gives the first column of its first row as a blob, or null when there is no row.</summary>
    public byte[]? ExecuteBlob()
    {
        try
        {
            return Read() ? GetBlob(0) : null;
        }
        finally
        {
            Reset();
        }
    }

    /// <summary>The number of a named parameter (<c>$name</c>), to bind it by.</summary>
    public int ParameterIndex(string name) =>
        raw.sqlite3_bind_parameter_index(_statement, name) is > 0 and var index ? index : throw new ArgumentException($"no parameter {name}", nameof(name));

    /// <summary>
    /// Steps a query to its next row; false at its end, when the statement is reset for the next execution. A caller
    /// that stops before the end calls <see cref="Reset"/> (in a finally): an unfinished statement holds its read open.
    /// </summary>
    public bool Read()
    {
        int rc = SqliteNative.sqlite3_step(_handle);
        if (rc == SqliteRow) return true;
        try
        {
            if (rc != SqliteDone) SqliteException.ThrowExceptionForRC(rc, _db);
            return false;
        }
        finally
        {
            SqliteNative.sqlite3_reset(_handle);
        }
    }

    public void Reset() => SqliteNative.sqlite3_reset(_handle);

    // Column accessors of the current row (after Read returned true); SQLite converts the stored type if it differs.
    public long GetInt64(int column) => SqliteNative.sqlite3_column_int64(_handle, column);

    public int GetInt32(int column) => SqliteNative.sqlite3_column_int(_handle, column);

    public string GetString(int column) => System.Text.Encoding.UTF8.GetString(GetUtf8(column));

    /// <summary>A text column's UTF-8 bytes, valid until the next <see cref="Read"/> or <see cref="Reset"/> (no string made).</summary>
    public ReadOnlySpan<byte> GetUtf8(int column)
    {
        // Text first, then its length: SQLite's order, so a conversion the text call makes is what the length counts.
        byte* text = SqliteNative.sqlite3_column_text(_handle, column);
        return text is null ? default : new ReadOnlySpan<byte>(text, SqliteNative.sqlite3_column_bytes(_handle, column));
    }

    public byte[] GetBlob(int column)
    {
        byte* blob = SqliteNative.sqlite3_column_blob(_handle, column);
        return blob is null ? [] : new ReadOnlySpan<byte>(blob, SqliteNative.sqlite3_column_bytes(_handle, column)).ToArray();
    }

    public void Dispose() => _statement.Dispose();

    private void Check(int rc)
    {
        if (rc != raw.SQLITE_OK) SqliteException.ThrowExceptionForRC(rc, _db);
    }
}
