using Microsoft.Data.Sqlite;

namespace Gateway.Storage.Tests;

public sealed class SqliteDatabaseTests : IDisposable
{
    private readonly TempDirectory _directory = new();

    private static string Pragma(SqliteConnection connection, string pragma)
    {
        using var command = connection.CreateCommand();
        command.CommandText = $"PRAGMA {pragma}";
        return Convert.ToString(command.ExecuteScalar())!;
    }

    [Fact]
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    public void Open_NewFile_UsesWalFullSyncAndLatestSchemaWithOwnerOnlyMode()
    {
        using var database = SqliteDatabase.Open(_directory.Options());
        using var connection = database.OpenConnection();

        Assert.Equal("wal", Pragma(connection, "journal_mode"));
        Assert.Equal("2", Pragma(connection, "synchronous"));
        Assert.Equal("5000", Pragma(connection, "busy_timeout"));
        Assert.Equal("11", Pragma(connection, "user_version"));  // 0004_dtls_credentials, 0005_cloud_names, 0006_dead_letter_causes, 0007_outbox_by_device, 0008_content_files, 0009_dedup_blocks, 0010_outbox_by_kind_partial, 0011_outbox_by_device_dropped
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(database.Path));
    }

    [Fact]
    public void Memory_statistics_are_off_so_an_allocation_takes_no_process_wide_mutex()
    {
        using var database = SqliteDatabase.Open(_directory.Options());
        using var connection = database.OpenConnection();
        using (var write = connection.CreateCommand())
        {
            write.CommandText = "CREATE TABLE filler (x BLOB); INSERT INTO filler SELECT randomblob(5000) FROM meta, meta, meta;";
            write.ExecuteNonQuery();
        }

        Assert.True(SqliteDatabase.MemoryStatisticsOff);
        // With the statistics on, this counts the page cache and statements the connection holds (hundreds of KiB).
        Assert.Equal(0, SQLitePCL.raw.sqlite3_memory_used());
    }

    [Fact]
    public void Open_TwiceAtOnce_LikeServiceAndCli_BothWork()
    {
        using var service = SqliteDatabase.Open(_directory.Options());
        using var cli = SqliteDatabase.Open(_directory.Options());
        using var a = service.OpenConnection();
        using var b = cli.OpenConnection();

        using (var write = a.CreateCommand())
        {
            write.CommandText = "INSERT INTO meta (key, value) VALUES ('probe', 1)";
            write.ExecuteNonQuery();
        }
        using var read = b.CreateCommand();
        read.CommandText = "SELECT value FROM meta WHERE key = 'probe'";
        Assert.Equal(1L, read.ExecuteScalar());
    }

    [Fact]
    public void Open_DamagedFile_ThrowsClearErrorAndLeavesFileUntouched()
    {
        var options = _directory.Options();
        using (var database = SqliteDatabase.Open(options))
        using (var connection = database.OpenConnection())
        using (var command = connection.CreateCommand())
        {
            command.CommandText = "CREATE TABLE filler (x BLOB); WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 200) " +
                                  "INSERT INTO filler SELECT randomblob(500) FROM n; PRAGMA wal_checkpoint(TRUNCATE);";
            command.ExecuteNonQuery();
        }
        var path = options.DatabasePath;
        var bytes = File.ReadAllBytes(path);
        // Overwrite pages in the middle of the file (not the header) with garbage.
        new Random(7).NextBytes(bytes.AsSpan(4096 * 3, 4096 * 4));
        File.WriteAllBytes(path, bytes);

        var error = Assert.Throws<StorageCorruptException>(() => SqliteDatabase.Open(new StorageOptions { DataDir = options.DataDir, IntegrityCheckOnOpen = IntegrityCheck.Full }));

        Assert.Contains(path, error.Message);
        Assert.Contains("not modified", error.Message);
        Assert.Equal(bytes, File.ReadAllBytes(path));
    }

    [Fact]
    public void Open_NotADatabase_ThrowsStorageCorruptException()
    {
        var options = _directory.Options();
        File.WriteAllText(options.DatabasePath, new string('x', 8192));

        var error = Assert.Throws<StorageCorruptException>(() => SqliteDatabase.Open(options));

        Assert.Equal(new string('x', 8192), File.ReadAllText(options.DatabasePath));
        Assert.NotEmpty(error.Detail);
    }

    [Fact]
    public void Open_SchemaNewerThanProgram_RefusesToDowngrade()
    {
        var options = _directory.Options();
        using (var database = SqliteDatabase.Open(options))
        using (var connection = database.OpenConnection())
        {
            Pragma(connection, "user_version=99");
        }

        var error = Assert.Throws<InvalidOperationException>(() => SqliteDatabase.Open(options));
        Assert.Contains("99", error.Message);
    }

    public void Dispose() => _directory.Dispose();
}
