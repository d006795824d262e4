using Microsoft.Data.Sqlite;

namespace Gateway.Storage;

/// <summary>
/// One gateway database file: opens it with the durability settings the acknowledgement contract
/// needs (WAL, <c>synchronous=FULL</c>), brings the schema up to date and checks integrity.
/// The service and the CLI may both hold one at the same time; WAL lets readers run beside the
/// single writer and <c>busy_timeout</c> serialises writers.
/// </summary>
public sealed class SqliteDatabase : IDisposable
{
    private const int SqliteCorrupt = 11;
    private const int SqliteNotADb = 26;

    private readonly string _connectionString;

    static SqliteDatabase()
    {
        SQLitePCL.Batteries_V2.Init();
        // SQLite's memory statistics take a process-wide mutex on every sqlite3_malloc and sqlite3_free; SQLite
        // recommends them off (https://www.sqlite.org/compile.html#default_memstatus) and nothing here reads them
        // (no soft heap limit, no sqlite3_memory_used). Durable writes at N = 256 spent a sixth more CPU with
        // them on (docs/performance.md, "Two SQLite costs per durable write"). Only possible before SQLite initialises, at the first open;
        // later SQLite refuses (SQLITE_MISUSE) and keeps them, which costs speed, nothing else.
        MemoryStatisticsOff = SQLitePCL.raw.sqlite3_config(SQLitePCL.raw.SQLITE_CONFIG_MEMSTATUS, 0) == SQLitePCL.raw.SQLITE_OK;
    }

    /// <summary>Whether SQLite's memory statistics were turned off for this process (true unless SQLite was opened before this type).</summary>
    internal static bool MemoryStatisticsOff { get; }

    private SqliteDatabase(StorageOptions options)
    {
        Options = options;
        Path = System.IO.Path.GetFullPath(options.DatabasePath);
        _connectionString = new SqliteConnectionStringBuilder
        {
            DataSource = Path,
            Mode = SqliteOpenMode.ReadWriteCreate,
            Pooling = true,
            DefaultTimeout = (int)Math.Ceiling(options.BusyTimeout.TotalSeconds),
        }.ToString();
    }

    /// <summary>Absolute path of the database file.</summary>
    public string Path { get; }

    /// <summary>The options the database was opened with.</summary>
    public StorageOptions Options { get; }

    /// <summary>
    /// Opens (creating if needed) the database, applies pending migrations and runs the configured
    /// integrity check. Throws <see cref="StorageCorruptException"/> for a damaged file, never deletes it.
    /// </summary>
    public static SqliteDatabase Open(StorageOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var db = new SqliteDatabase(options);
        db.Initialise();
        return db;
    }

    /// <summary>
    /// A new open connection with the per-connection pragmas set. Connections are pooled, so
    /// opening one per operation is cheap; the caller disposes it.
    /// </summary>
    public SqliteConnection OpenConnection()
    {
        var connection = new SqliteConnection(_connectionString);
        try
        {
            connection.Open();
            // Per connection, not persistent: set on every open so no path can run with weaker durability.
            Execute(connection, $"PRAGMA synchronous=FULL; PRAGMA busy_timeout={(long)Options.BusyTimeout.TotalMilliseconds}; PRAGMA foreign_keys=ON;");
            return connection;
        }
        catch
        {
            connection.Dispose();
            throw;
        }
    }

    /// <summary>Runs <c>PRAGMA integrity_check</c> and returns its lines ("ok" when healthy).</summary>
    public IReadOnlyList<string> CheckIntegrity(bool full = true)
    {
        using var connection = OpenConnection();
        return ReadLines(connection, full ? "PRAGMA integrity_check" : "PRAGMA quick_check");
    }

    public void Dispose()
    {
        // Pooled connections keep the file open; a restart (or a test reopening the file) must find it closed.
        using var connection = new SqliteConnection(_connectionString);
        SqliteConnection.ClearPool(connection);
    }

    private void Initialise()
    {
        var directory = System.IO.Path.GetDirectoryName(Path)!;
        if (OperatingSystem.IsWindows())
        {
            Directory.CreateDirectory(directory);
        }
        else if (!Directory.Exists(directory))
        {
            Directory.CreateDirectory(directory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }
        if (!OperatingSystem.IsWindows() && !File.Exists(Path))
        {
            // Created here rather than by SQLite so the queue (and token hashes) are 0600 from the first byte;
            // SQLite gives -wal and -shm the database file's mode.
            try
            {
                using var _ = new FileStream(Path, new FileStreamOptions
                {
                    Mode = FileMode.CreateNew,
                    Access = FileAccess.Write,
                    UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite,
                });
            }
            catch (IOException) when (File.Exists(Path))
            {
                // Another process (the CLI next to the service) created it first.
            }
        }

        try
        {
            using var connection = OpenConnection();
            var mode = Convert.ToString(Scalar(connection, "PRAGMA journal_mode=WAL"));
            if (!string.Equals(mode, "wal", StringComparison.OrdinalIgnoreCase))
            {
                throw new InvalidOperationException($"SQLite refused WAL mode for '{Path}' (journal_mode={mode}).");
            }
            // After a checkpoint the WAL is truncated back to this size instead of keeping its peak.
            Execute(connection, "PRAGMA journal_size_limit=8388608");
            if (Convert.ToInt64(Scalar(connection, "PRAGMA synchronous")) != 2)
            {
                throw new InvalidOperationException("SQLite did not accept synchronous=FULL; acknowledgements would not be durable.");
            }

            if (Options.IntegrityCheckOnOpen != IntegrityCheck.None)
            {
                var lines = ReadLines(connection, Options.IntegrityCheckOnOpen == IntegrityCheck.Full ? "PRAGMA integrity_check" : "PRAGMA quick_check");
                if (lines.Count != 1 || lines[0] != "ok")
                {
                    throw new StorageCorruptException(Path, string.Join("; ", lines.Take(5)));
                }
            }
            SchemaMigrator.Migrate(connection);
        }
        catch (SqliteException e) when (IsDamage(e))
        {
            throw new StorageCorruptException(Path, e.Message, e);
        }
    }

    /// <summary>Whether SQLite found the file damaged or not a database at all (reported as <see cref="StorageCorruptException"/>).</summary>
    internal static bool IsDamage(SqliteException e) => e.SqliteErrorCode is SqliteCorrupt or SqliteNotADb;

    internal static void Execute(SqliteConnection connection, string sql, SqliteTransaction? transaction = null)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.Transaction = transaction;
        command.ExecuteNonQuery();
    }

    internal static object? Scalar(SqliteConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        return command.ExecuteScalar();
    }

    private static List<string> ReadLines(SqliteConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        using var reader = command.ExecuteReader();
        var lines = new List<string>();
        while (reader.Read())
        {
            lines.Add(reader.GetString(0));
        }
        return lines;
    }
}
