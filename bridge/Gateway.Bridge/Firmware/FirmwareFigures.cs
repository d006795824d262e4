using System.Diagnostics.Metrics;

namespace Gateway.Bridge.Firmware;

/// <summary>
/// Firmware download figures as the meter <c>CoapGateway.Firmware</c> (exported by /metrics):
/// downloads by outcome, bytes received, retries, resumed requests and packages waiting.
/// </summary>
public sealed class FirmwareFigures : IDisposable
{
    public const string MeterName = "CoapGateway.Firmware";
    private readonly Meter _meter = new(MeterName);
    private readonly long[] _outcomes = new long[Enum.GetValues<FirmwareOutcome>().Length];
    private long _bytes, _retries, _resumes, _pending;

    public FirmwareFigures()
    {
        _meter.CreateObservableCounter("firmware.downloads", () => Enum.GetValues<FirmwareOutcome>().Select(o =>
            new Measurement<long>(Interlocked.Read(ref _outcomes[(int)o]), new KeyValuePair<string, object?>("outcome", Label(o)))),
            description: "Firmware downloads finished, by outcome");
        _meter.CreateObservableCounter("firmware.bytes", () => Interlocked.Read(ref _bytes), description: "Firmware bytes received over HTTP(S)");
        _meter.CreateObservableCounter("firmware.retries", () => Interlocked.Read(ref _retries), description: "Firmware download attempts retried after a failure");
        _meter.CreateObservableCounter("firmware.resumes", () => Interlocked.Read(ref _resumes), description: "Firmware requests that resumed a partial file with Range");
        _meter.CreateObservableGauge("firmware.pending", () => Interlocked.Read(ref _pending), description: "Firmware packages waiting to be downloaded");
    }

    public long Count(FirmwareOutcome outcome) => Interlocked.Read(ref _outcomes[(int)outcome]);

    public long Retries => Interlocked.Read(ref _retries);

    public long Resumes => Interlocked.Read(ref _resumes);

    public void Finished(FirmwareOutcome outcome) => Interlocked.Increment(ref _outcomes[(int)outcome]);

    public void Received(int bytes) => Interlocked.Add(ref _bytes, bytes);

    public void Retry() => Interlocked.Increment(ref _retries);

    public void Resume() => Interlocked.Increment(ref _resumes);

    public void Pending(int count) => Interlocked.Exchange(ref _pending, count);

    /// <summary><c>ChecksumMismatch</c> → <c>checksum_mismatch</c>.</summary>
    public static string Label(FirmwareOutcome outcome)
    {
        var name = outcome.ToString();
        var text = new System.Text.StringBuilder(name.Length + 4);
        for (int i = 0; i < name.Length; i++)
        {
            if (char.IsUpper(name[i]) && i > 0) text.Append('_');
            text.Append(char.ToLowerInvariant(name[i]));
        }
        return text.ToString();
    }

    public void Dispose() => _meter.Dispose();
}
