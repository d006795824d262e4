using System.Buffers;
using System.Collections.Concurrent;
using System.Text.Json;
using Gateway.Domain;
using Gateway.Storage.Attributes;
using Microsoft.Extensions.Logging;

namespace Gateway.Devices.ThingsBoard;

/// <summary>
/// Attribute reads from the local cache (the bridge keeps shared attributes in it, the device API
/// client attributes). While the cloud link is up, keys the cache has never held and the cloud has
/// never been asked about are requested once through <see cref="ICloudLink"/> with a bounded wait
/// (<see cref="DeviceApiOptions.CloudRequestTimeout"/>); the answer is cached. Offline, or when the
/// cloud is slow, the cache answers alone. A request naming no keys is answered from the cache only
/// (the gateway API cannot ask for "all keys").
/// </summary>
internal sealed class AttributeReader(IAttributeStore attributes, ICloudLink cloud, DeviceApiOptions options, TimeProvider time, ILogger logger)
{
    private const int AskedCapacity = 100_000;

    private readonly ConcurrentDictionary<(string Device, AttributeScope Scope, string Key), bool> _asked = new();

    public async Task<DeviceApiResult> ReadAsync(string device, IReadOnlyCollection<string>? clientKeys, IReadOnlyCollection<string>? sharedKeys, CancellationToken cancellationToken)
    {
        bool all = IsEmpty(clientKeys) && IsEmpty(sharedKeys); // DeviceActorMessageProcessor.getAttributesKvEntries
        var client = all || !IsEmpty(clientKeys) ? await ReadScopeAsync(device, AttributeScope.Client, all ? null : clientKeys!, cancellationToken).ConfigureAwait(false) : [];
        var shared = all || !IsEmpty(sharedKeys) ? await ReadScopeAsync(device, AttributeScope.Shared, all ? null : sharedKeys!, cancellationToken).ConfigureAwait(false) : [];
        if (client.Count == 0 && shared.Count == 0) return DeviceApiResult.NotFound;

        var buffer = new ArrayBufferWriter<byte>(128);
        using (var writer = new Utf8JsonWriter(buffer, JsonText.WriterOptions))
        {
            writer.WriteStartObject();
            WriteScope(writer, "client", client);
            WriteScope(writer, "shared", shared);
            writer.WriteEndObject();
        }
        return DeviceApiResult.Content(buffer.WrittenSpan.ToArray());
    }

    public async Task<byte[]> SharedFlatAsync(string device, CancellationToken cancellationToken)
    {
        var shared = await attributes.GetAsync(device, AttributeScope.Shared, null, cancellationToken).ConfigureAwait(false);
        var buffer = new ArrayBufferWriter<byte>(64);
        using (var writer = new Utf8JsonWriter(buffer, JsonText.WriterOptions))
        {
            writer.WriteStartObject();
            foreach (var value in shared)
            {
                writer.WritePropertyName(value.Key);
                writer.WriteRawValue(value.Json);
            }
            writer.WriteEndObject();
        }
        return buffer.WrittenSpan.ToArray();
    }

    private static bool IsEmpty(IReadOnlyCollection<string>? keys) => keys is null || keys.Count == 0;

    private static void WriteScope(Utf8JsonWriter writer, string name, IReadOnlyList<AttributeValue> values)
    {
        if (values.Count == 0) return; // §1.3: a scope without values is omitted
        writer.WritePropertyName(name);
        writer.WriteStartObject();
        foreach (var value in values)
        {
            writer.WritePropertyName(value.Key);
            writer.WriteRawValue(value.Json);
        }
        writer.WriteEndObject();
    }

    private async Task<IReadOnlyList<AttributeValue>> ReadScopeAsync(string device, AttributeScope scope, IReadOnlyCollection<string>? keys, CancellationToken cancellationToken)
    {
        var cached = await attributes.GetAsync(device, scope, keys, cancellationToken).ConfigureAwait(false);
        if (keys is null || !cloud.IsConnected) return cached;
        var missing = keys.Where(k => !_asked.ContainsKey((device, scope, k)) && !cached.Any(c => c.Key == k)).Distinct(StringComparer.Ordinal).ToList();
        if (missing.Count == 0) return cached;
        if (!await AskCloudAsync(device, scope, missing, cancellationToken).ConfigureAwait(false)) return cached;
        return await attributes.GetAsync(device, scope, keys, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>True if the cloud answered and its values were cached.</summary>
    private async Task<bool> AskCloudAsync(string device, AttributeScope scope, List<string> keys, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(options.CloudRequestTimeout);
        System.Text.Json.Nodes.JsonObject? answer;
        try
        {
            answer = await cloud.RequestAttributesAsync(device, scope == AttributeScope.Client, keys, timeout.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            answer = null;
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            DevicesLog.CloudAttributesFailed(logger, device, e);
            return false;
        }
        if (answer is null)
        {
            DevicesLog.CloudAttributesTimedOut(logger, device);
            return false;
        }
        if (_asked.Count >= AskedCapacity) _asked.Clear();
        foreach (var key in keys) _asked[(device, scope, key)] = true;
        if (answer.Count == 0) return true;
        var values = answer.Where(p => p.Value is not null).ToDictionary(p => p.Key, p => p.Value!.ToJsonString(), StringComparer.Ordinal);
        await attributes.SetAsync(device, scope, values, time.GetUtcNow(), cancellationToken).ConfigureAwait(false);
        return true;
    }
}
