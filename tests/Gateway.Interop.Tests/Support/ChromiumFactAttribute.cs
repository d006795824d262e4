namespace Gateway.Interop.Tests.Support;

/// <summary>A fact that is skipped, saying why, where Debian's chromium is not installed (tests/run installs it as root).</summary>
public sealed class ChromiumFactAttribute : FactAttribute
{
    public ChromiumFactAttribute()
    {
        if (HeadlessChromium.Unavailable is { } reason) Skip = reason;
    }
}
