using System.Buffers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Threading.Channels;
using Gateway.Domain;
using Gateway.Storage.Attributes;
using Gateway.Storage.Content;
using Gateway.Storage.Outbox;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Gateway.Bridge.Firmware;

/// <summary>
/// Firmware from the cloud (issue 23). A package ThingsBoard assigns with an external URL arrives as the
/// device's <c>fw_*</c> shared attributes with <c>fw_url</c> (thingsboard.md §1.7). The downlink router hands
/// them here instead of to the cache; they are kept as a pending record (content blob
/// <c>firmware-pending/{device}</c>, so a restart resumes), fetched one at a time while the cloud link is up,
/// verified against <c>fw_checksum</c>, stored as <c>firmware/{title}/{version}</c>, and only then written to
/// the attribute cache and signalled: a device never sees the attributes of an image it could not get.
/// Progress goes upstream as the device's <c>fw_state</c> telemetry (DOWNLOADING, DOWNLOADED, VERIFIED,
/// FAILED with <c>fw_error</c>), the states ThingsBoard's firmware dashboard shows.
/// </summary>
public sealed class FirmwareDownloads : BackgroundService
{
    public const string PendingPrefix = "firmware-pending/";
    private static readonly TimeSpan LinkPoll = TimeSpan.FromSeconds(1);
    private readonly IContentStore _content;
    private readonly IAttributeStore _attributes;
    private readonly IDownlinkSignal _signal;
    private readonly IOutbox _outbox;
    private readonly ICloudLink _link;
    private readonly FirmwareDownloader _downloader;
    private readonly FirmwareOptions _options;
    private readonly FirmwareFigures _figures;
    private readonly string _partialDirectory;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    // A wake-up, not the queue: the pending records are the queue, so a dropped wake-up loses nothing.
    private readonly Channel<bool> _wake = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });
    private readonly SemaphoreSlim _records = new(1, 1);
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, bool> _pendingDevices = new(StringComparer.Ordinal);
    private (string Device, CancellationTokenSource Cancel)? _current;

    public FirmwareDownloads(IContentStore content, IAttributeStore attributes, IDownlinkSignal signal, IOutbox outbox, ICloudLink link,
        FirmwareDownloader downloader, FirmwareOptions options, FirmwareFigures figures, string partialDirectory, TimeProvider time, ILogger<FirmwareDownloads> logger)
    {
        (_content, _attributes, _signal, _outbox, _link, _downloader) = (content, attributes, signal, outbox, link, downloader);
        (_options, _figures, _partialDirectory, _time, _logger) = (options, figures, partialDirectory, time, logger);
    }

    /// <summary>
    /// Takes the <c>fw_*</c> keys of a shared attribute update that carries <c>fw_url</c>: records the
    /// assignment (replacing and cancelling an earlier one of the device) and returns true, so the caller
    /// keeps them out of the cache. False when downloads are off or the update assigns no package by URL.
    /// </summary>
    public async Task<bool> TryAssignAsync(string device, IReadOnlyDictionary<string, string> attributes, CancellationToken cancellationToken)
    {
        if (!_options.Download || !FirmwareAssignment.IsUrlPackage(attributes.Keys)) return false;
        var assignment = FirmwareAssignment.Parse(device, attributes, out var problem);
        if (assignment is null)
        {
            FirmwareLog.BadAssignment(_logger, device, problem!);
            await ReportAsync(device, "FAILED", problem, cancellationToken).ConfigureAwait(false);
            _figures.Finished(FirmwareOutcome.Failed);
            return true;
        }
        if (await AlreadyVerifiedAsync(assignment, cancellationToken).ConfigureAwait(false)) return true;
        await _records.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await _content.PutAsync(PendingPrefix + device, "application/json", new MemoryStream(assignment.ToJson()), "firmware download pending", cancellationToken).ConfigureAwait(false);
            _pendingDevices[device] = true;
            CancelCurrent(device);
        }
        finally
        {
            _records.Release();
        }
        FirmwareLog.Assigned(_logger, device, assignment.Title, assignment.Version, FirmwareDownloader.Describe(assignment.Url));
        _wake.Writer.TryWrite(true);
        return true;
    }

    /// <summary>
    /// The same package again (an attribute response repeating the assignment): its image is stored and the
    /// device's cached <c>fw_*</c> are these very values, so there is nothing to fetch.
    /// </summary>
    private async Task<bool> AlreadyVerifiedAsync(FirmwareAssignment assignment, CancellationToken cancellationToken)
    {
        if (IsPending(assignment.Device) || await _content.GetInfoAsync(assignment.PackageName, cancellationToken).ConfigureAwait(false) is null) return false;
        var cached = await _attributes.GetAsync(assignment.Device, AttributeScope.Shared, [.. assignment.Attributes.Keys], cancellationToken).ConfigureAwait(false);
        return cached.Count == assignment.Attributes.Count
            && cached.All(c => assignment.Attributes.TryGetValue(c.Key, out var json) && JsonElement.DeepEquals(Parse(json), Parse(c.Json)));

        static JsonElement Parse(string json)
        {
            using var document = JsonDocument.Parse(json);
            return document.RootElement.Clone();
        }
    }

    /// <summary>Whether a package by URL for <paramref name="device"/> waits for download or verification (its <c>fw_*</c> are held back).</summary>
    public bool IsPending(string device) => _pendingDevices.ContainsKey(device);

    /// <summary>The cloud deleted <c>fw_*</c> keys (package unassigned): a pending download of the device is dropped.</summary>
    public async Task WithdrawAsync(string device, CancellationToken cancellationToken)
    {
        await _records.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (!await _content.DeleteAsync(PendingPrefix + device, cancellationToken).ConfigureAwait(false)) return;
            _pendingDevices.TryRemove(device, out _);
            CancelCurrent(device);
        }
        finally
        {
            _records.Release();
        }
        FirmwareLog.Withdrawn(_logger, device);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        Directory.CreateDirectory(_partialDirectory);
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                var pending = (await _content.ListAsync(stoppingToken).ConfigureAwait(false)).Where(c => c.Name.StartsWith(PendingPrefix, StringComparison.Ordinal)).ToList();
                _figures.Pending(pending.Count);
                foreach (var record in pending) _pendingDevices[record.Name[PendingPrefix.Length..]] = true;
                if (pending.Count == 0)
                {
                    await _wake.Reader.ReadAsync(stoppingToken).ConfigureAwait(false);
                    continue;
                }
                foreach (var record in pending) await ProcessAsync(record, stoppingToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                // A storage or disk error must not end downloads for good; the records stay and are tried again.
                FirmwareLog.LoopFailed(_logger, e);
                await Task.Delay(TimeSpan.FromSeconds(_options.RetryMinSeconds), _time, stoppingToken).ConfigureAwait(false);
            }
        }
    }

    private async Task ProcessAsync(ContentInfo record, CancellationToken stoppingToken)
    {
        // Downloads only while the cloud link is up: an offline site keeps its last verified image and waits.
        while (!_link.IsConnected) await Task.Delay(LinkPoll, _time, stoppingToken).ConfigureAwait(false);
        if (await _content.GetInfoAsync(record.Name, stoppingToken).ConfigureAwait(false) is not { } current) return; // withdrawn meanwhile
        var json = await ReadRecordAsync(current, stoppingToken).ConfigureAwait(false);
        if (FirmwareAssignment.FromJson(json) is not { } assignment)
        {
            FirmwareLog.BadPendingRecord(_logger, record.Name);
            await RemoveRecordAsync(record.Name, json, stoppingToken).ConfigureAwait(false);
            return;
        }
        using var cancel = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
        lock (_wake) _current = (assignment.Device, cancel);
        try
        {
            var (outcome, error) = await DownloadAndStoreAsync(assignment, cancel.Token).ConfigureAwait(false);
            _figures.Finished(outcome);
            if (outcome != FirmwareOutcome.Verified)
            {
                FirmwareLog.Refused(_logger, assignment.Device, assignment.Title, assignment.Version, FirmwareFigures.Label(outcome), error!);
                await ReportAsync(assignment.Device, "FAILED", error, stoppingToken).ConfigureAwait(false);
            }
            await RemoveRecordAsync(record.Name, json, stoppingToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!stoppingToken.IsCancellationRequested)
        {
            // Replaced or withdrawn meanwhile: the partial file of this assignment is of no use any more.
            FirmwareDownloader.Restart(PartialPath(assignment));
        }
        finally
        {
            lock (_wake) _current = null;
        }
    }

    private async Task<(FirmwareOutcome Outcome, string? Error)> DownloadAndStoreAsync(FirmwareAssignment assignment, CancellationToken cancellationToken)
    {
        if (_options.RequireChecksum && (assignment.Checksum is null || assignment.Algorithm is null))
            return (FirmwareOutcome.Failed, "no fw_checksum and fw_checksum_algorithm to verify the image with (Firmware:RequireChecksum)");
        if (_downloader.Refusal(assignment) is { } refused) return (refused.Outcome!.Value, refused.Error);
        string partial = PartialPath(assignment);
        FirmwareLog.Downloading(_logger, assignment.Device, assignment.Title, assignment.Version, File.Exists(partial) ? new FileInfo(partial).Length : 0);
        await ReportAsync(assignment.Device, "DOWNLOADING", null, cancellationToken).ConfigureAwait(false);
        var result = await _downloader.DownloadAsync(assignment, partial, cancellationToken).ConfigureAwait(false);
        if (!result.Complete)
        {
            FirmwareDownloader.Restart(partial);
            return (result.Outcome!.Value, result.Error);
        }
        await ReportAsync(assignment.Device, "DOWNLOADED", null, cancellationToken).ConfigureAwait(false);
        try
        {
            if (assignment.Algorithm is not null && assignment.Checksum is not null)
            {
                var actual = await ChecksumAsync(partial, assignment.Algorithm, cancellationToken).ConfigureAwait(false);
                if (!string.Equals(actual, assignment.Checksum.Trim(), StringComparison.OrdinalIgnoreCase))
                    return (FirmwareOutcome.ChecksumMismatch, $"Checksum verification failed ({assignment.Algorithm.ToUpperInvariant()})");
            }
            var file = new FileStream(partial, FileMode.Open, FileAccess.Read, FileShare.Read, 64 * 1024, useAsync: true);
            ContentInfo stored;
            await using (file.ConfigureAwait(false))
            {
                stored = await _content.PutAsync(assignment.PackageName, result.ContentType, file, $"from {FirmwareDownloader.Describe(assignment.Url)}", cancellationToken).ConfigureAwait(false);
            }
            await _attributes.SetAsync(assignment.Device, AttributeScope.Shared, assignment.Attributes, _time.GetUtcNow(), cancellationToken).ConfigureAwait(false);
            // §1.3: the device gets the flat object of the update, as ThingsBoard would have pushed it.
            _signal.Notify(new DownlinkEvent(assignment.Device, Domain.DownlinkKind.SharedAttributes, assignment.AttributesJson()));
            FirmwareLog.Verified(_logger, assignment.Device, assignment.Title, assignment.Version, assignment.Algorithm ?? "size only", stored.Name, stored.Size);
            await ReportAsync(assignment.Device, "VERIFIED", null, cancellationToken).ConfigureAwait(false);
            return (FirmwareOutcome.Verified, null);
        }
        finally
        {
            FirmwareDownloader.Restart(partial);
        }
    }

    private static async Task<string> ChecksumAsync(string path, string algorithm, CancellationToken cancellationToken)
    {
        using var hash = FirmwareHash.Create(algorithm)!;
        var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 64 * 1024, useAsync: true);
        await using (file.ConfigureAwait(false))
        {
            var buffer = ArrayPool<byte>.Shared.Rent(64 * 1024);
            try
            {
                int read;
                while ((read = await file.ReadAsync(buffer, cancellationToken).ConfigureAwait(false)) > 0) hash.Append(buffer.AsSpan(0, read));
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(buffer);
            }
        }
        return hash.FinishHex();
    }

    /// <summary>
    /// The device's <c>fw_state</c> (and <c>fw_error</c>) as telemetry through the outbox, so it reaches the cloud
    /// in order with the device's data, also after an outage (thingsboard.md §1.7).
    /// </summary>
    private async Task ReportAsync(string device, string state, string? error, CancellationToken cancellationToken)
    {
        if (!_options.ReportState) return;
        var buffer = new ArrayBufferWriter<byte>(128);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartArray();
            writer.WriteStartObject();
            writer.WriteNumber("ts", _time.GetUtcNow().ToUnixTimeMilliseconds());
            writer.WriteStartObject("values");
            writer.WriteString("fw_state", state);
            if (error is not null) writer.WriteString("fw_error", error);
            writer.WriteEndObject();
            writer.WriteEndObject();
            writer.WriteEndArray();
        }
        await _outbox.EnqueueAsync(new OutboxMessage(device, OutboxMessageKind.Telemetry, buffer.WrittenMemory.ToArray()) { ReceivedAt = _time.GetUtcNow() },
            cancellationToken: cancellationToken).ConfigureAwait(false);
    }

    private async Task<byte[]> ReadRecordAsync(ContentInfo record, CancellationToken cancellationToken)
    {
        var json = new byte[Math.Min(record.Size, 64 * 1024)];
        int read = await _content.ReadAsync(record.Name, 0, json, cancellationToken).ConfigureAwait(false);
        return json[..read];
    }

    /// <summary>Deletes the record unless a newer assignment replaced it while this one was processed.</summary>
    private async Task RemoveRecordAsync(string name, byte[] processed, CancellationToken cancellationToken)
    {
        await _records.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (await _content.GetInfoAsync(name, cancellationToken).ConfigureAwait(false) is { } now
                && (await ReadRecordAsync(now, cancellationToken).ConfigureAwait(false)).AsSpan().SequenceEqual(processed))
            {
                _pendingDevices.TryRemove(name[PendingPrefix.Length..], out _);
                await _content.DeleteAsync(name, cancellationToken).ConfigureAwait(false);
            }
        }
        finally
        {
            _records.Release();
        }
    }

    private void CancelCurrent(string device)
    {
        lock (_wake)
        {
            if (_current is { } current && current.Device == device) current.Cancel.Cancel();
        }
    }

    /// <summary>One partial file per assignment (device, URL, title, version, checksum): a new assignment never continues an old one's bytes.</summary>
    private string PartialPath(FirmwareAssignment assignment)
    {
        var key = string.Join('\n', assignment.Device, assignment.Url.AbsoluteUri, assignment.Title, assignment.Version, assignment.Checksum ?? "");
        return Path.Combine(_partialDirectory, Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(key)))[..32] + ".part");
    }

    public override void Dispose()
    {
        _records.Dispose();
        base.Dispose();
    }
}
