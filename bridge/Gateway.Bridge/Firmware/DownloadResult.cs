namespace Gateway.Bridge.Firmware;

/// <summary>The end of one download: complete (the partial file holds the whole body), or refused with a one-line reason.</summary>
/// <param name="Outcome">Null when complete (not yet verified).</param>
/// <param name="Error">Why it was refused; no URL query (it may carry a signature).</param>
/// <param name="ContentType">The server's Content-Type, stored with the image.</param>
public sealed record DownloadResult(FirmwareOutcome? Outcome, string? Error, string ContentType)
{
    public bool Complete => Outcome is null;

    public static DownloadResult Refused(FirmwareOutcome outcome, string error) => new(outcome, error, "");
}
