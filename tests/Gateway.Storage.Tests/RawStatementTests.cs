using Microsoft.Data.Sqlite;

namespace Gateway.Storage.Tests;

/// <summary>
/// <see cref="RawStatement"/> as a query (the drain's lease read and the acknowledgement's size read): rows and
/// columns as SQLite stores them, named parameters, a statement that runs again with new bindings, and a read
/// left open neither blocking the commit nor leaking into the next execution.
/// </summary>
public sealed class RawStatementTests : IDisposable
{
    private readonly TempDirectory _directory = new();
    private readonly SqliteDatabase _database;
    private readonly SqliteConnection _connection;

    public RawStatementTests()
    {
        _database = SqliteDatabase.Open(_directory.Options());
        _connection = _database.OpenConnection();
        Execute("CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT NOT NULL, body BLOB NOT NULL, n INTEGER NOT NULL)");
        Execute("INSERT INTO t VALUES (1, 'ä-sensor', x'00ff10', 5000000000), (2, 'b', x'', -7), (3, 'c', x'2a', 0)");
    }

    [Fact]
    public void Read_GivesEveryRowAndColumnAsStored_ThenFalse()
    {
        using var query = new RawStatement(_connection, "SELECT id, name, body, n FROM t WHERE id >= $from ORDER BY id");
        query.Bind(query.ParameterIndex("$from"), 1);

        var rows = new List<(long, string, byte[], long, int)>();
        while (query.Read()) rows.Add((query.GetInt64(0), query.GetString(1), query.GetBlob(2), query.GetInt64(3), query.GetInt32(0)));

        Assert.Equal(3, rows.Count);
        Assert.Equal((1L, "ä-sensor", 5_000_000_000L, 1), (rows[0].Item1, rows[0].Item2, rows[0].Item4, rows[0].Item5));
        Assert.Equal(new byte[] { 0x00, 0xFF, 0x10 }, rows[0].Item3);
        Assert.Equal("b", rows[1].Item2);
        Assert.Empty(rows[1].Item3); // a zero-length blob is an empty array, not null
        Assert.Equal(-7, rows[1].Item4);
        Assert.Equal(3, rows[2].Item1);
    }

    [Fact]
    public void Read_AfterItsEnd_RunsAgainWithNewBindings()
    {
        using var query = new RawStatement(_connection, "SELECT id FROM t WHERE id > $after AND id <= $upTo ORDER BY id");
        int after = query.ParameterIndex("$after"), upTo = query.ParameterIndex("$upTo");

        Assert.Equal([1L, 2L, 3L], ReadIds(query, after, 0, upTo, 3));
        Assert.Equal([2L], ReadIds(query, after, 1, upTo, 2));
        Assert.Empty(ReadIds(query, after, 3, upTo, 9));
    }

    [Fact]
    public void Reset_AfterAPartialRead_LetsTheTransactionCommitAndTheQueryStartOver()
    {
        using var query = new RawStatement(_connection, "SELECT id FROM t ORDER BY id");
        using (var transaction = _connection.BeginTransaction())
        {
            Assert.True(query.Read());
            query.Reset();
            Execute("INSERT INTO t VALUES (4, 'd', x'', 1)", transaction);
            transaction.Commit();
        }

        var ids = new List<long>();
        while (query.Read()) ids.Add(query.GetInt64(0));
        Assert.Equal([1L, 2L, 3L, 4L], ids);
    }

    [Fact]
    public void Bind_TextAndBlobs_StoresThemAsGiven_EmptyOnesNotNull()
    {
        using var insert = new RawStatement(_connection, "INSERT INTO t VALUES (?1, ?2, ?3, 0)");
        insert.Bind(1, 10);
        insert.Bind(2, "Ünïcødé-ß".AsSpan());
        insert.Bind(3, new byte[] { 1, 2, 3 });
        Assert.Equal(1, insert.Execute());
        insert.Bind(1, 11);
        insert.Bind(2, ReadOnlySpan<char>.Empty);
        insert.Bind(3, ReadOnlySpan<byte>.Empty);
        Assert.Equal(1, insert.Execute()); // NOT NULL columns: an empty value must not bind NULL

        using var query = new RawStatement(_connection, "SELECT name, typeof(name), body, typeof(body) FROM t WHERE id >= 10 ORDER BY id");
        Assert.True(query.Read());
        Assert.Equal("Ünïcødé-ß", query.GetString(0));
        Assert.Equal("Ünïcødé-ß"u8.ToArray(), query.GetUtf8(0).ToArray());
        Assert.Equal(new byte[] { 1, 2, 3 }, query.GetBlob(2));
        Assert.True(query.Read());
        Assert.Equal(("", "text"), (query.GetString(0), query.GetString(1)));
        Assert.Equal(0, query.GetUtf8(0).Length);
        Assert.Equal("blob", query.GetString(3));
        Assert.Empty(query.GetBlob(2));
        Assert.False(query.Read());
    }

    [Fact]
    public void Read_ARowSpillingIntoOverflowPages_GivesItsBlobAndTheColumnsAfterIt()
    {
        // 20,000 bytes on 4,096-byte pages: the blob and the integer stored after it live in overflow pages.
        var body = new byte[20_000];
        new Random(7).NextBytes(body);
        using (var insert = new RawStatement(_connection, "INSERT INTO t VALUES (20, 'big', ?1, 123456789012)"))
        {
            insert.Bind(1, body);
            Assert.Equal(1, insert.Execute());
        }

        using var query = new RawStatement(_connection, "SELECT n, body, name FROM t WHERE id = 20");
        Assert.True(query.Read());
        Assert.Equal(123_456_789_012L, query.GetInt64(0));
        Assert.Equal(body, query.GetBlob(1));
        Assert.Equal("big", query.GetString(2));
        Assert.False(query.Read());
    }

    [Fact]
    public void SqliteNative_BindsTheLibrarySqlitePclRawLoaded_OneSqliteInTheProcess()
    {
        // Two copies of SQLite in one process keep separate POSIX lock tables, and each would drop the other's locks on
        // the same file (https://www.sqlite.org/howtocorrupt.html §2.2): the direct calls must reach SQLitePCLRaw's copy.
        using (var query = new RawStatement(_connection, "SELECT count(*) FROM t"))
        {
            Assert.True(query.Read());
            Assert.Equal(3, query.GetInt64(0));
            query.Reset();
        }
        Assert.Equal(1, (long)new SqliteCommand("SELECT 1", _connection).ExecuteScalar()!);

        var libraries = File.ReadLines("/proc/self/maps")
            .Select(line => line.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            .Where(fields => fields.Length >= 6 && Path.GetFileName(fields[5]).StartsWith("libe_sqlite3", StringComparison.Ordinal))
            .Select(fields => fields[5])
            .Distinct()
            .ToList();
        Assert.True(libraries.Count == 1, string.Join(", ", libraries));
    }

    [Fact]
    public void ParameterIndex_OfANameTheStatementLacks_Throws()
    {
        using var query = new RawStatement(_connection, "SELECT id FROM t WHERE id = $id");

        Assert.Equal(1, query.ParameterIndex("$id"));
        Assert.Throws<ArgumentException>(() => query.ParameterIndex("$other"));
    }

    [Fact]
    public void Read_WhenSqliteFailsMidway_ThrowsSqliteException_AndTheStatementRunsAgain()
    {
        // abs() of the smallest integer overflows at the row that holds it: an error from sqlite3_step, after a row.
        Execute("INSERT INTO t VALUES (5, 'e', x'', -9223372036854775808)");
        using var query = new RawStatement(_connection, "SELECT abs(n) FROM t WHERE id IN (1, 5) ORDER BY id");

        Assert.True(query.Read());
        Assert.Equal(5_000_000_000L, query.GetInt64(0));
        var error = Assert.Throws<SqliteException>(() => query.Read());
        Assert.Contains("integer overflow", error.Message);

        // Reset by the failing Read: the next execution starts from the first row again.
        Assert.True(query.Read());
        Assert.Equal(5_000_000_000L, query.GetInt64(0));
        query.Reset();
    }

    private static List<long> ReadIds(RawStatement query, int afterIndex, long after, int upToIndex, long upTo)
    {
        query.Bind(afterIndex, after);
        query.Bind(upToIndex, upTo);
        var ids = new List<long>();
        while (query.Read()) ids.Add(query.GetInt64(0));
        return ids;
    }

    private void Execute(string sql, SqliteTransaction? transaction = null)
    {
        using var command = _connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }

    public void Dispose()
    {
        _connection.Dispose();
        _database.Dispose();
        _directory.Dispose();
    }
}
