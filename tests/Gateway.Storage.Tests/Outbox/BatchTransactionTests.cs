using Gateway.Storage.Outbox;
using Microsoft.Data.Sqlite;

namespace Gateway.Storage.Tests.Outbox;

/// <summary>The group commit's transaction on statements prepared once: what it commits, undoes and leaves alone.</summary>
public sealed class BatchTransactionTests : StoreTestBase
{
    private long Count(string table)
    {
        using var other = Database.OpenConnection(); // another connection: sees committed rows only (WAL)
        using var command = other.CreateCommand();
        command.CommandText = $"SELECT count(*) FROM {table}";
        return (long)command.ExecuteScalar()!;
    }

    private static void Run(SqliteConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery(); // no Transaction set: Microsoft.Data.Sqlite does not know of the batch's
    }

    [Fact]
    public void Commit_Publishes_Rollback_Undoes_AndTheSameStatementsServeEveryBatch()
    {
        using var connection = Database.OpenConnection();
        Run(connection, "CREATE TABLE t (v INTEGER)");
        using var transaction = new BatchTransaction(connection);
        for (int batch = 0; batch < 3; batch++)
        {
            transaction.Begin();
            Run(connection, $"INSERT INTO t VALUES ({batch})");
            Assert.Equal(batch, Count("t")); // not visible before the commit
            transaction.Commit();
            Assert.Equal(batch + 1, Count("t"));
        }
        transaction.Begin();
        Run(connection, "INSERT INTO t VALUES (99)");
        transaction.Rollback();
        Assert.Equal(3, Count("t"));
        transaction.Begin(); // the connection is usable again
        transaction.Commit();
    }

    [Fact]
    public void Rollback_WithNothingOpen_IsNothing()
    {
        // What SQLite leaves after rolling back on its own (SQLITE_FULL, some I/O errors): no transaction to undo.
        using var connection = Database.OpenConnection();
        using var transaction = new BatchTransaction(connection);
        transaction.Rollback();
        transaction.Begin();
        Run(connection, "ROLLBACK"); // as SQLite would
        transaction.Rollback();
        transaction.Begin();
        transaction.Commit();
    }

    [Fact]
    public void TheSavepoint_UndoesOneAdmissionOnly()
    {
        using var connection = Database.OpenConnection();
        Run(connection, "CREATE TABLE t (v INTEGER)");
        using var transaction = new BatchTransaction(connection);
        transaction.Begin();
        Run(connection, "INSERT INTO t VALUES (1)");
        transaction.Save();
        Run(connection, "INSERT INTO t VALUES (2)");
        Run(connection, "DELETE FROM t WHERE v = 1");
        transaction.RollbackToSave(); // the refused admission: its insert and its drops undone
        transaction.Save();
        Run(connection, "INSERT INTO t VALUES (3)");
        transaction.ReleaseSave();
        transaction.Commit();

        using var command = connection.CreateCommand();
        command.CommandText = "SELECT group_concat(v) FROM (SELECT v FROM t ORDER BY v)";
        Assert.Equal("1,3", command.ExecuteScalar());
    }
}
