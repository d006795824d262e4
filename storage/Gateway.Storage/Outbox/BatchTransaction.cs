using Microsoft.Data.Sqlite;
using SQLitePCL;

namespace Gateway.Storage.Outbox;

/// <summary>
/// The group commit's transaction and its admission savepoint, on statements prepared once. Microsoft.Data.Sqlite's
/// <see cref="SqliteTransaction"/> prepares BEGIN and COMMIT again on every use, each through a command and a reader,
/// and registers a rollback hook: a fifth of what a durable write allocated at N = 16, and two statement compilations
/// per commit (issue 21). The connection's <see cref="SqliteConnection.BeginTransaction()"/> must not be used while one
/// of these is open (the outbox's gate sees to that); commands on it run with no <see cref="SqliteCommand.Transaction"/>.
/// </summary>
internal sealed class BatchTransaction(SqliteConnection connection) : IDisposable
{
    // IMMEDIATE: the write lock at BEGIN, so a commit never fails to upgrade a read lock (SQLITE_BUSY mid-batch).
    private readonly RawStatement _begin = new(connection, "BEGIN IMMEDIATE");
    private readonly RawStatement _commit = new(connection, "COMMIT");
    private readonly RawStatement _rollback = new(connection, "ROLLBACK");
    private readonly RawStatement _save = new(connection, "SAVEPOINT admit");
    private readonly RawStatement _rollbackToSave = new(connection, "ROLLBACK TO admit");
    private readonly RawStatement _releaseSave = new(connection, "RELEASE admit");

    public void Begin() => _begin.Execute();

    public void Commit() => _commit.Execute();

    /// <summary>
    /// Undoes the transaction if one is still open; SQLite may already have rolled it back on its own (it does for
    /// SQLITE_FULL and some I/O errors), and then there is nothing to undo.
    /// </summary>
    public void Rollback()
    {
        if (raw.sqlite3_get_autocommit(connection.Handle) != 0) return;
        try
        {
            _rollback.Execute();
        }
        catch (SqliteException)
        {
            // Nothing more can be done here; the next BEGIN reports a connection left unusable.
        }
    }

    /// <summary>Marks where a row's admission began, to undo it alone (<see cref="OutboxAdmission"/>).</summary>
    public void Save() => _save.Execute();

    /// <summary>Undoes the admission since <see cref="Save"/> and ends the savepoint.</summary>
    public void RollbackToSave()
    {
        _rollbackToSave.Execute();
        _releaseSave.Execute();
    }

    /// <summary>Keeps the admission since <see cref="Save"/>.</summary>
    public void ReleaseSave() => _releaseSave.Execute();

    public void Dispose()
    {
        _begin.Dispose();
        _commit.Dispose();
        _rollback.Dispose();
        _save.Dispose();
        _rollbackToSave.Dispose();
        _releaseSave.Dispose();
    }
}
