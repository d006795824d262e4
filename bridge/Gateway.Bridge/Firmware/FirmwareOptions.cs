namespace Gateway.Bridge.Firmware;

/// <summary>
/// Firmware from the cloud (section <c>Firmware</c>): packages ThingsBoard assigns with an external URL
/// (<c>fw_url</c>) are downloaded, verified and stored before the device sees <c>fw_*</c>.
/// </summary>
public sealed class FirmwareOptions
{
    public const string Section = "Firmware";

    /// <summary>False: <c>fw_*</c> attributes go to the device as they come, as before (no download). Default true.</summary>
    public bool Download { get; set; } = true;

    /// <summary>
    /// Largest image accepted (bytes); a larger <c>fw_size</c> or body is refused. Default 1 GiB, as
    /// <c>Storage:MaxContentBytes</c>: images are stored as files and served to devices from disk.
    /// </summary>
    public long MaxDownloadBytes { get; set; } = 1L << 30;

    /// <summary>Attempts per package before it is given up as FAILED (each one resumes the partial file). Default 8.</summary>
    public int MaxAttempts { get; set; } = 8;

    /// <summary>Back-off before the second attempt; doubled per attempt up to <see cref="RetryMaxSeconds"/>, with jitter. Default 2.</summary>
    public double RetryMinSeconds { get; set; } = 2;

    /// <summary>Longest back-off between attempts. Default 300.</summary>
    public double RetryMaxSeconds { get; set; } = 300;

    /// <summary>An attempt is abandoned (and resumed later) when no byte arrives for this long. Default 60.</summary>
    public double StallSeconds { get; set; } = 60;

    /// <summary>
    /// True: a package without <c>fw_checksum</c>/<c>fw_checksum_algorithm</c> is refused, as it cannot be verified.
    /// False: it is accepted after the size check alone. Default true.
    /// </summary>
    public bool RequireChecksum { get; set; } = true;

    /// <summary>Report <c>fw_state</c> (DOWNLOADING, DOWNLOADED, VERIFIED, FAILED + <c>fw_error</c>) as the device's telemetry. Default true.</summary>
    public bool ReportState { get; set; } = true;

    /// <summary>One line per problem, each naming its key. Empty when valid.</summary>
    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        void Error(string key, string message) => errors.Add($"{Section}:{key}: {message}");
        if (MaxDownloadBytes < 1) Error(nameof(MaxDownloadBytes), $"{MaxDownloadBytes} is below 1");
        if (MaxAttempts is < 1 or > 1000) Error(nameof(MaxAttempts), $"{MaxAttempts} is not 1..1000");
        if (!(RetryMinSeconds > 0)) Error(nameof(RetryMinSeconds), $"{RetryMinSeconds} must be positive");
        if (!(RetryMaxSeconds >= RetryMinSeconds)) Error(nameof(RetryMaxSeconds), $"{RetryMaxSeconds} is below RetryMinSeconds ({RetryMinSeconds})");
        if (!(StallSeconds > 0)) Error(nameof(StallSeconds), $"{StallSeconds} must be positive");
        return errors;
    }
}
