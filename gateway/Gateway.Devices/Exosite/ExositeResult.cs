namespace Gateway.Devices.Exosite;

/// <summary>What an Exosite API call answers: a status, a body (UTF-8 text unless the caller knows better) and a retry hint.</summary>
public sealed record ExositeResult(ExositeStatus Status, ReadOnlyMemory<byte> Body = default)
{
    public static readonly ExositeResult Changed = new(ExositeStatus.Changed);
    public static readonly ExositeResult Unauthorized = new(ExositeStatus.Unauthorized);
    public static readonly ExositeResult Forbidden = new(ExositeStatus.Forbidden);
    public static readonly ExositeResult NotFound = new(ExositeStatus.NotFound);
    public static readonly ExositeResult TooFast = new(ExositeStatus.TooFast);
    public static readonly ExositeResult Silent = new(ExositeStatus.Silent);

    /// <summary>For <see cref="ExositeStatus.Unavailable"/>: when the device may try again.</summary>
    public TimeSpan RetryAfter { get; init; }

    /// <summary>Diagnostic for 4.00 (never contains a credential).</summary>
    public string? Diagnostic { get; init; }

    public static ExositeResult Content(ReadOnlyMemory<byte> body) => new(ExositeStatus.Content, body);
    public static ExositeResult Text(string text) => new(ExositeStatus.Content, System.Text.Encoding.UTF8.GetBytes(text));
    public static ExositeResult Invalid(string diagnostic) => new(ExositeStatus.BadRequest) { Diagnostic = diagnostic };
    public static ExositeResult Refused(TimeSpan retryAfter) => new(ExositeStatus.Unavailable) { RetryAfter = retryAfter };
}
