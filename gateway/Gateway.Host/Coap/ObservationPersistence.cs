using System.Buffers;
using System.Diagnostics.Metrics;
using System.Net;
using System.Text.Json;
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
/// so devices keep getting RPCs and attribute updates without re-registering. Writes leave the endpoint through
/// <see cref="ObservationWriteQueue"/>: bounded, drained by one writer thread in batched transactions, the oldest
/// write dropped and counted when full (what a dropped write costs is said there; never data).
/// </summary>
internal sealed class ObservationPersistence : IHostedService, IObservationListener
{
    private const int RestoreConcurrency = 32;
    private readonly CoapListenerService _listener;
    private readonly IObservationStore _store;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _stopping = new();
    private ObservationWriteQueue? _writes;
    private Task? _restore;

    public ObservationPersistence(CoapListenerService listener, IObservationStore store, TimeProvider time, IMeterFactory meters, ILogger<ObservationPersistence> logger)
    {
        _listener = listener;
        _store = store;
        _time = time;
        _logger = logger;
        var meter = meters.Create(Metrics.GatewayMetrics.MeterName + ".Observe");
        meter.CreateObservableCounter("coapgw.observe.persist_dropped", () => _writes?.Dropped ?? 0,
            description: "Observe relation writes dropped because the persistence queue was full (those relations do not survive a restart)");
        meter.CreateObservableCounter("coapgw.observe.persist_failed", () => _writes?.Failed ?? 0,
            description: "Observe relation writes lost because their transaction failed (logged; those relations do not survive a restart)");
        meter.CreateObservableCounter("coapgw.observe.persist_commits", () => _writes?.Commits ?? 0,
            description: "Transactions that stored observe relation writes (many writes each during a burst of registrations)");
    }

    public Task StartAsync(CancellationToken cancellationToken)
    {
        _writes = new ObservationWriteQueue(_store, _time, _logger);
        // Listening first: a restored relation is stored again with the Observe number it continues from.
        _listener.Endpoint.ObservationListener = this;
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
        // The writer applies what is queued (one transaction) off the caller's thread; a shutdown timeout is not exceeded for it.
        _writes?.Complete(TimeSpan.FromSeconds(5));
        _stopping.Dispose();
    }

    public void OnObservationAdded(ObservationSnapshot observation) => _writes?.Enqueue(new ObservationWrite(ToStored(observation), Remove: false));

    // A removal is keyed by (peer, token) alone: nothing else of the relation is encoded for it.
    public void OnObservationRemoved(ObservationSnapshot observation, ObserveRemovalReason reason) =>
        _writes?.Enqueue(new ObservationWrite(new StoredRelation(observation.Peer.ToString(), observation.Token, "", null, -1, 0), Remove: true));

    // Per thread (relation events are delivered on whichever thread changed the registry): one buffer and writer
    // reused for every relation, so encoding a registration allocates only the resulting string.
    [ThreadStatic] private static ArrayBufferWriter<byte>? t_buffer;
    [ThreadStatic] private static Utf8JsonWriter? t_json;

    internal static StoredRelation ToStored(ObservationSnapshot snapshot)
    {
        var buffer = t_buffer ??= new ArrayBufferWriter<byte>(256);
        buffer.ResetWrittenCount();
        var json = t_json ??= new Utf8JsonWriter(buffer);
        json.Reset(buffer);
        json.WriteStartObject();
        WriteArray(json, "path", snapshot.Path);
        WriteArray(json, "query", snapshot.Query);
        json.WriteEndObject();
        json.Flush();
        return new StoredRelation(snapshot.Peer.ToString(), snapshot.Token, System.Text.Encoding.UTF8.GetString(buffer.WrittenSpan), snapshot.State,
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
