using Gateway.Storage;
using Gateway.Storage.Outbox;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Gateway.Host.Storage;

/// <summary>
/// The database is opened (migrations, integrity check) and the outbox created before anything that accepts data
/// starts, so READY=1 implies storage is usable. The outbox then counts its rows (<see cref="IOutbox.Opened"/>; writes
/// that arrive meanwhile wait for it); if that fails the service fails and the host stops with it. On stop, after the
/// listeners registered later have stopped, lets the outbox finish the commits in flight and closes the file.
/// </summary>
public sealed class StorageService(SqliteDatabase database, IOutbox outbox, OutboxStatsSampler stats, ILogger<StorageService> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await outbox.Opened.WaitAsync(stoppingToken).ConfigureAwait(false);
        var figures = await stats.RefreshAsync(TimeSpan.Zero, stoppingToken).ConfigureAwait(false);
        Log.StorageOpened(logger, database.Path, figures.Depth, figures.Bytes);
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken).ConfigureAwait(false);
        await outbox.DisposeAsync().ConfigureAwait(false);
        database.Dispose();
        Log.StorageClosed(logger, database.Path);
    }
}
