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
/// stored: no credentials), and at start the stored ones are restored, so devices keep getting RPCs
/// and attribute updates without re-registering. Writes leave the receive thread through a bounded
/// queue; when it is full the oldest pending write is dropped and counted (a lost write costs one
/// device a re-registration after a restart, never data).
/// </summary>
internal sealed class ObservationPersistence : IHostedService, IObservationListener
{
    private const int QueueCapacity = 4096;
    private readonly CoapListenerService _listener;
    private readonly IObservationStore _store;
    private readonly ILogger _logger;

    private readonly Channel<(bool Add, StoredRelation Relation)> _writes;
    private long _dropped;
    private Task? _writer;

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

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var endpoint = _listener.Endpoint;
        // Listening first: a restored relation is stored again with the Observe number it continues from.
        endpoint.ObservationListener = this;
        _writer = Task.Run(WriteAsync, CancellationToken.None);
        int restored = 0, declined = 0;
        foreach (var stored in await _store.ListAsync(cancellationToken).ConfigureAwait(false))
        {
            var snapshot = ToSnapshot(stored);
            var relation = snapshot is null ? null : await endpoint.RestoreObservationAsync(snapshot, cancellationToken).ConfigureAwait(false);
            if (relation is not null)
            {
                restored++;
                continue;
            }
            declined++; // the resource, the device or the credential is gone
            await _store.RemoveAsync(stored.Peer, stored.Token, cancellationToken).ConfigureAwait(false);
        }
        if (restored + declined > 0) Log.ObservationsRestored(_logger, restored, declined);
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        _writes.Writer.TryComplete();
        if (_writer is not null) await _writer.WaitAsync(cancellationToken).ConfigureAwait(false);
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
