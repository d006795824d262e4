using Microsoft.Data.Sqlite;
using SQLitePCL;

namespace Gateway.Storage;

/// <summary>
/// One statement prepared once on a connection and bound straight from spans, for the per-row
/// statements of a group commit. Microsoft.Data.Sqlite allocates per execution (parameter objects,
/// boxed values, a binder, a copy of every blob); this binds a payload and a device name without a
/// copy. It runs inside whatever transaction the connection has open, like any statement on it.
/// Errors surface as <see cref="SqliteException"/>, the same as through a <see cref="SqliteCommand"/>.
/// </summary>
internal sealed class RawStatement : IDisposable
{
    private const int SqliteRow = 100, SqliteDone = 101;

    private readonly sqlite3 _db;
    private readonly sqlite3_stmt _statement;

    /// <param name="connection">An open connection; the statement must be disposed before it closes.</param>
    /// <param name="sql">One statement with numbered parameters (<c>?1</c>, <c>?2</c>, …).</param>
    public RawStatement(SqliteConnection connection, string sql)
    {
        _db = connection.Handle!;
        // SQLITE_PREPARE_PERSISTENT: kept for the connection's lifetime, so SQLite may allocate it for long use.
        int rc = raw.sqlite3_prepare_v3(_db, sql, raw.SQLITE_PREPARE_PERSISTENT, out _statement);
        if (rc != raw.SQLITE_OK) SqliteException.ThrowExceptionForRC(rc, _db);
    }

    /// <summary>The largest parameter number the statement uses.</summary>
    public int ParameterCount => raw.sqlite3_bind_parameter_count(_statement);

    public void Bind(int index, long value) => Check(raw.sqlite3_bind_int64(_statement, index, value));

    /// <summary>Binds text from UTF-16 (SQLite stores it in the database's UTF-8).</summary>
    public void Bind(int index, ReadOnlySpan<char> value) => Check(raw.sqlite3_bind_text16(_statement, index, value));

    /// <summary>Binds a blob; an empty span binds a zero-length blob, never NULL.</summary>
    public void Bind(int index, ReadOnlySpan<byte> value) =>
        Check(value.IsEmpty ? raw.sqlite3_bind_zeroblob(_statement, index, 0) : raw.sqlite3_bind_blob(_statement, index, value));

    /// <summary>Runs the statement to its end; returns the rows it changed.</summary>
    public int Execute()
    {
        try
        {
            int rc = raw.sqlite3_step(_statement);
            while (rc == SqliteRow) rc = raw.sqlite3_step(_statement);
            if (rc != SqliteDone) SqliteException.ThrowExceptionForRC(rc, _db);
            return raw.sqlite3_changes(_db);
        }
        finally
        {
            raw.sqlite3_reset(_statement);
        }
    }

    /// <summary>
    /// Runs an INSERT of one row and returns its rowid. Read from the connection (sqlite3_last_insert_rowid) rather
    /// than by RETURNING, which SQLite runs as a trigger program filling an ephemeral table (a sixth of a durable
    /// write's CPU; README, "Two SQLite costs per durable write"). The caller holds the connection, so no other
    /// insert comes between.
    /// </summary>
    public long ExecuteInsert()
    {
        Execute();
        return raw.sqlite3_last_insert_rowid(_db);
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
        int rc = raw.sqlite3_step(_statement);
        if (rc == SqliteRow) return true;
        try
        {
            if (rc != SqliteDone) SqliteException.ThrowExceptionForRC(rc, _db);
            return false;
        }
        finally
        {
            raw.sqlite3_reset(_statement);
        }
    }

    public void Reset() => raw.sqlite3_reset(_statement);

    // Column accessors of the current row (after Read returned true); SQLite converts the stored type if it differs.
    public long GetInt64(int column) => raw.sqlite3_column_int64(_statement, column);

    public int GetInt32(int column) => raw.sqlite3_column_int(_statement, column);

    public string GetString(int column) => raw.sqlite3_column_text(_statement, column).utf8_to_string();

    public byte[] GetBlob(int column) => raw.sqlite3_column_blob(_statement, column).ToArray();

    public void Dispose() => _statement.Dispose();

    private void Check(int rc)
    {
        if (rc != raw.SQLITE_OK) SqliteException.ThrowExceptionForRC(rc, _db);
    }
}
