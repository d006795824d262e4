namespace Gateway.Storage.Tests;

/// <summary>A real database file in a temp directory, reopenable to simulate a restart.</summary>
public abstract class StoreTestBase : IDisposable
{
    private readonly TempDirectory _directory = new();
    private readonly List<SqliteDatabase> _opened = [];

    protected StoreTestBase() => Database = Reopen();

    protected SqliteDatabase Database { get; private set; }

    protected StorageOptions Options { get; } = new();

    /// <summary>Closes every open handle and opens the file again, as a restarted service would.</summary>
    protected SqliteDatabase Reopen()
    {
        _opened.ForEach(d => d.Dispose());
        Options.DataDir = _directory.Path;
        Database = SqliteDatabase.Open(Options);
        _opened.Add(Database);
        return Database;
    }

    public void Dispose()
    {
        _opened.ForEach(d => d.Dispose());
        _directory.Dispose();
        GC.SuppressFinalize(this);
    }
}
