using System.Diagnostics.Metrics;
using System.Net;
using System.Text.Json;
using System.Threading.Channels;
using Gateway.Coap.Observe;
using Gateway.Coap.Transport;
using Gateway.Storage.Observe;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using StoredRelation = Gateway.Storage.Observe.ObserveRelation;

namespace Gateway.Host.Coap;

/// <summary>
/// Observe relations that survive a restart (reliability.md §1.6): every relation the CoAP endpoint
/// adds or removes is written to the <see cref="IObservationStore"/> (as its resource lets it be
/// stored: no credentials), and the stored ones are restored in the background from start-up on,
/// so devices keep getting RPCs and attribute updates without re-registering. Writes leave the receive thread through a bounded
/// queue; when it is full the oldest pending write is dropped and counted (a lost write costs one
/// device a re-registration after a restart, never data).
/// </summary>
internal sealed class ObservationPersistence : IHostedService, IObservationListener
{
    private const int QueueCapacity = 4096;
    private const int RestoreConcurrency = 32;
    private readonly CoapListenerService _listener;
    private readonly IObservationStore _store;
    private readonly ILogger _logger;
    private readonly Channel<(bool Add, StoredRelation Relation)> _writes;
    private readonly CancellationTokenSource _stopping = new();
    private long _dropped;
    private Task? _writer, _restore;

    public ObservationPersistence(CoapListenerService listener, IObservationStore store, IMeterFactory meters, ILogger<ObservationPersistence> logger)
    {
        _listener = listener;
        _store = store;
        _logger = logger;
        _writes = Channel.CreateBounded<(bool, StoredRelation)>(
            new BoundedChannelOptions(QueueCapacity) { FullMode = BoundedChannelFullMode.DropOldest, SingleReader = true },
            _ => Interlocked.Increment(ref _dropped));
        meters.Create(Metrics.GatewayMetrics.MeterName + ".Observe").CreateObservableCounter("coapgw.observe.persist_dropped", () => Dropped,
            description: "Observe relation writes dropped because the persistence queue was full (those relations do not survive a restart)");
    }

    /// <summary>Writes dropped because the queue was full.</summary>
    public long Dropped => Interlocked.Read(ref _dropped);

    public Task StartAsync(CancellationToken cancellationToken)
    {
        // Listening first: a restored relation is stored again with the Observe number it continues from.
        _listener.Endpoint.ObservationListener = this;
        _writer = Task.Run(WriteAsync, CancellationToken.None);
        // In the background: each restore looks its device up and may queue a connect (a commit), and
        // thousands of them must not hold up start-up (systemd's READY waits for every StartAsync).
        _restore = Task.Run(() => RestoreAllAsync(_stopping.Token), CancellationToken.None);
        return Task.CompletedTask;
    }

    private async Task RestoreAllAsync(CancellationToken stopping)
    {
        int restored = 0, declined = 0;
        try
        {
            var rows = await _store.ListAsync(stopping).ConfigureAwait(false);
            // Several at once, so their connect rows share group commits.
            await Parallel.ForEachAsync(rows, new ParallelOptions { MaxDegreeOfParallelism = RestoreConcurrency, CancellationToken = stopping }, async (stored, ct) =>
            {
                var snapshot = ToSnapshot(stored);
                if (snapshot is not null && await _listener.Endpoint.RestoreObservationAsync(snapshot, ct).ConfigureAwait(false) is not null)
                {
                    Interlocked.Increment(ref restored);
                    return;
                }
                Interlocked.Increment(ref declined); // unreadable, or the resource, device or credential is gone
                await _store.RemoveAsync(stored.Peer, stored.Token, ct).ConfigureAwait(false);
            }).ConfigureAwait(false);
            if (restored + declined > 0) Log.ObservationsRestored(_logger, restored, declined);
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
        }
        catch (Exception e)
        {
            Log.ObservationRestoreFailed(_logger, e, restored);
        }
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        await _stopping.CancelAsync().ConfigureAwait(false);
        if (_restore is not null) await _restore.WaitAsync(cancellationToken).ConfigureAwait(false);
        _writes.Writer.TryComplete();
        if (_writer is not null) await _writer.WaitAsync(cancellationToken).ConfigureAwait(false);
        _stopping.Dispose();
    }

    public void OnObservationAdded(ObservationSnapshot observation) => _writes.Writer.TryWrite((true, ToStored(observation)));

    public void OnObservationRemoved(ObservationSnapshot observation, ObserveRemovalReason reason) => _writes.Writer.TryWrite((false, ToStored(observation)));

    private async Task WriteAsync()
    {
        await foreach (var (add, relation) in _writes.Reader.ReadAllAsync().ConfigureAwait(false))
        {
            try
            {
                if (add) await _store.UpsertAsync(relation).ConfigureAwait(false);
                else await _store.RemoveAsync(relation.Peer, relation.Token).ConfigureAwait(false);
            }
            catch (Exception e)
            {
                Log.ObservationWriteFailed(_logger, e);
            }
        }
    }

    internal static StoredRelation ToStored(ObservationSnapshot snapshot)
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            WriteArray(json, "path", snapshot.Path);
            WriteArray(json, "query", snapshot.Query);
            json.WriteEndObject();
        }
        return new StoredRelation(snapshot.Peer.ToString(), snapshot.Token, System.Text.Encoding.UTF8.GetString(buffer.ToArray()), snapshot.State,
            snapshot.Accept ?? -1, (int)snapshot.LastSequence, snapshot.Confirmable);

        static void WriteArray(Utf8JsonWriter json, string name, IReadOnlyList<string> values)
        {
            json.WriteStartArray(name);
            foreach (var value in values) json.WriteStringValue(value);
            json.WriteEndArray();
        }
    }

    /// <summary>Null for a row this version cannot read (it is then removed, like a declined one).</summary>
    internal static ObservationSnapshot? ToSnapshot(StoredRelation stored)
    {
        if (!IPEndPoint.TryParse(stored.Peer, out var peer)) return null;
        try
        {
            using var document = JsonDocument.Parse(stored.Resource);
            var path = document.RootElement.GetProperty("path").EnumerateArray().Select(e => e.GetString() ?? "").ToArray();
            var query = document.RootElement.GetProperty("query").EnumerateArray().Select(e => e.GetString() ?? "").ToArray();
            return new ObservationSnapshot(PeerAddress.From(peer), stored.Token, path, query, null,
                stored.ContentFormat >= 0 ? stored.ContentFormat : null, (uint)stored.LastSequence, stored.Confirmable, stored.Device);
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException)
        {
            return null;
        }
    }
}
