namespace Gateway.Host.Admin;

/// <summary>The status page (status-page.html, an embedded resource: one self-contained file, nothing fetched from elsewhere).</summary>
internal static class StatusPage
{
    public const string ResourceName = "Gateway.Host.Admin.status-page.html";

    public static byte[] Read()
    {
        using var stream = typeof(StatusPage).Assembly.GetManifestResourceStream(ResourceName)
            ?? throw new InvalidOperationException($"{ResourceName} is not embedded in the gateway assembly");
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return copy.ToArray();
    }
}
