namespace Gateway.Devices.ThingsBoard;

/// <summary>What the device API answers: a status, an optional body (JSON unless <see cref="ContentType"/> says otherwise) and a retry hint.</summary>
public sealed record DeviceApiResult(DeviceApiStatus Status, ReadOnlyMemory<byte> Body = default)
{
    public static readonly DeviceApiResult Created = new(DeviceApiStatus.Created);
    public static readonly DeviceApiResult Valid = new(DeviceApiStatus.Valid);
    public static readonly DeviceApiResult BadRequest = new(DeviceApiStatus.BadRequest);
    public static readonly DeviceApiResult Unauthorized = new(DeviceApiStatus.Unauthorized);
    public static readonly DeviceApiResult NotFound = new(DeviceApiStatus.NotFound);
    public static readonly DeviceApiResult InternalError = new(DeviceApiStatus.InternalError);
    public static readonly DeviceApiResult Silent = new(DeviceApiStatus.Silent);

    /// <summary>For <see cref="DeviceApiStatus.Unavailable"/>: when the device may try again.</summary>
    public TimeSpan RetryAfter { get; init; }

    /// <summary>MIME type of a non-JSON body (firmware packages); null means JSON.</summary>
    public string? ContentType { get; init; }

    /// <summary>Diagnostic for 4.00/5.00 (safe to send: never contains a credential).</summary>
    public string? Diagnostic { get; init; }

    /// <summary>For a firmware chunk read: total size of the package (Size2), and whether more follows (Block2 M).</summary>
    public long TotalSize { get; init; }

    public static DeviceApiResult Content(ReadOnlyMemory<byte> body) => new(DeviceApiStatus.Content, body);

    public static DeviceApiResult Refused(TimeSpan retryAfter) => new(DeviceApiStatus.Unavailable) { RetryAfter = retryAfter };

    /// <summary>A JSON error answer with a non-success status (client-side RPC without a cloud reply).</summary>
    public static DeviceApiResult Failed(DeviceApiStatus status, ReadOnlyMemory<byte> body, TimeSpan retryAfter = default) =>
        new(status, body) { RetryAfter = retryAfter };

    public static DeviceApiResult Invalid(string diagnostic) => new(DeviceApiStatus.BadRequest) { Diagnostic = diagnostic };
}
