using Gateway.Storage;
using Gateway.Storage.Outbox;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Gateway.Host.Storage;

/// <summary>
/// Opens the database (migrations, integrity check) and the outbox in <see cref="StartAsync"/>, so
/// the host starts nothing that accepts data before storage is usable and READY=1 implies it;
/// on stop, after the listeners registered later have stopped, lets the outbox finish the commits
/// in flight and closes the file.
/// </summary>
public sealed class StorageService(SqliteDatabase database, IOutbox outbox, OutboxStatsSampler stats, ILogger<StorageService> logger) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var figures = await stats.RefreshAsync(TimeSpan.Zero, cancellationToken).ConfigureAwait(false);
        Log.StorageOpened(logger, database.Path, figures.Depth, figures.Bytes);
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        await outbox.DisposeAsync().ConfigureAwait(false);
        database.Dispose();
        Log.StorageClosed(logger, database.Path);
    }
}
