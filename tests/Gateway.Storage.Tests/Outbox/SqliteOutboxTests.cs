using Gateway.Storage.Outbox;

namespace Gateway.Storage.Tests.Outbox;

public sealed class SqliteOutboxTests : OutboxContractTests, IDisposable
{
    private readonly TempDirectory _directory = new();
    private readonly List<SqliteDatabase> _databases = [];

    protected override IOutbox Create(StorageOptions options, TimeProvider time, Func<long> freeBytes)
    {
        options.DataDir = _directory.Path;
        var database = SqliteDatabase.Open(options);
        _databases.Add(database);
        return new SqliteOutbox(database, time, freeBytes: freeBytes);
    }

    public void Dispose()
    {
        _databases.ForEach(d => d.Dispose());
        _directory.Dispose();
    }
}
