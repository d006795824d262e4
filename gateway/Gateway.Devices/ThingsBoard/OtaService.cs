using System.Text.Json;
using Gateway.Storage.Attributes;
using Gateway.Storage.Content;

namespace Gateway.Devices.ThingsBoard;

/// <summary>
/// OTA package downloads (thingsboard.md §2.8) served from the local content store.
/// <para>Which package a device gets: its cached shared attributes <c>fw_title</c>/<c>fw_version</c>
/// (<c>sw_</c> for software) as the cloud pushes them (§1.7) or as <c>coap-gateway firmware add --device</c>
/// writes them; else the profile assignment, a content blob <c>firmware-assigned/{profile}</c> holding
/// <c>{"title":…,"version":…}</c> (<c>firmware add --type</c>). The package body is the blob
/// <c>firmware/{title}/{version}</c> (<c>software/…</c>).</para>
/// <para>Semantics as ThingsBoard's <c>/fw/{token}</c>: <c>title</c>/<c>version</c> optional but must
/// match when given (else 4.00); no package → 4.04; <c>size</c> &gt; 0 → chunk <c>chunk</c> =
/// bytes [chunk·size, (chunk+1)·size); size 0 or absent → the whole file. Deviation: a chunk past the
/// end answers Content with an empty body (ThingsBoard sends nothing at all).</para>
/// </summary>
public sealed class OtaService(DeviceAuthenticator auth, IAttributeStore attributes, IContentStore content)
{
    public static string PackageName(OtaPackageType type, string title, string version) => $"{Prefix(type)}/{title}/{version}";

    public static string AssignmentName(OtaPackageType type, string profile) => $"{Prefix(type)}-assigned/{profile}";

    private static string Prefix(OtaPackageType type) => type == OtaPackageType.Firmware ? "firmware" : "software";

    /// <summary>
    /// The requested range (the chunk, or the whole file when <paramref name="size"/> is 0) of the device's package,
    /// opened for random access: CoAP serves it block by block straight from the file (Block2), never whole.
    /// <see cref="DeviceApiResult.TotalSize"/> is the range's length, <see cref="DeviceApiResult.ContentType"/> the
    /// package's MIME type; a failure is returned with a null range.
    /// </summary>
    public async ValueTask<(DeviceApiResult Result, ContentRange? Range)> OpenAsync(string token, OtaPackageType type, string? title, string? version,
        long size, long chunk, DeviceRequestContext context, CancellationToken cancellationToken = default)
    {
        var authenticated = await auth.AuthenticateAsync(token, context, cancellationToken).ConfigureAwait(false);
        if (!authenticated.Succeeded) return (authenticated.Failure!, null);
        if (size < 0 || chunk < 0) return (DeviceApiResult.Invalid("size and chunk must not be negative."), null);
        var device = authenticated.Device!;

        var assigned = await FindAssignmentAsync(type, device.Name, device.Profile, cancellationToken).ConfigureAwait(false);
        if (assigned is null) return (DeviceApiResult.NotFound, null);
        if ((title is not null && title != assigned.Value.Title) || (version is not null && version != assigned.Value.Version))
        {
            return (DeviceApiResult.Invalid("Requested title or version does not match the assigned package."), null);
        }
        var reader = await content.OpenAsync(PackageName(type, assigned.Value.Title, assigned.Value.Version), cancellationToken).ConfigureAwait(false);
        if (reader is null) return (DeviceApiResult.NotFound, null);

        long total = reader.Info.Size;
        long start = size > 0 ? Math.Min(total, chunk > total / size ? total : chunk * size) : 0;
        long end = size > 0 ? Math.Min(total, start + size) : total;
        var range = new ContentRange(reader, start, end - start);
        return (DeviceApiResult.Content(default) with { TotalSize = range.Length, ContentType = reader.Info.ContentType }, range);
    }

    /// <summary>
    /// Reads <paramref name="length"/> bytes at <paramref name="offset"/> of the requested range (see
    /// <see cref="OpenAsync"/>): HTTP streams a range in slices with this.
    /// </summary>
    public async ValueTask<DeviceApiResult> ReadAsync(string token, OtaPackageType type, string? title, string? version, long size, long chunk,
        long offset, int length, DeviceRequestContext context, CancellationToken cancellationToken = default)
    {
        if (offset < 0 || length < 0) return DeviceApiResult.Invalid("size and chunk must not be negative.");
        var (result, range) = await OpenAsync(token, type, title, version, size, chunk, context, cancellationToken).ConfigureAwait(false);
        if (range is null) return result;
        var body = new byte[(int)Math.Clamp(range.Length - offset, 0, length)];
        int read = range.Read(offset, body);
        // Fewer bytes: replaced meanwhile; the device re-checks the checksum.
        return result with { Body = read < body.Length ? body.AsMemory(0, read) : body };
    }

    private async Task<(string Title, string Version)?> FindAssignmentAsync(OtaPackageType type, string device, string profile, CancellationToken cancellationToken)
    {
        string prefix = type == OtaPackageType.Firmware ? "fw_" : "sw_";
        var shared = await attributes.GetAsync(device, AttributeScope.Shared, [prefix + "title", prefix + "version"], cancellationToken).ConfigureAwait(false);
        string? title = StringValue(shared.FirstOrDefault(a => a.Key == prefix + "title")?.Json);
        string? version = StringValue(shared.FirstOrDefault(a => a.Key == prefix + "version")?.Json);
        if (title is not null && version is not null) return (title, version);

        var assignment = AssignmentName(type, profile);
        var info = await content.GetInfoAsync(assignment, cancellationToken).ConfigureAwait(false);
        if (info is null || info.Size > 4096) return null;
        var buffer = new byte[info.Size];
        int read = await content.ReadAsync(assignment, 0, buffer, cancellationToken).ConfigureAwait(false);
        try
        {
            using var document = JsonDocument.Parse(buffer.AsMemory(0, read));
            var root = document.RootElement;
            return root.TryGetProperty("title", out var t) && root.TryGetProperty("version", out var v) && StringValue(t.GetRawText()) is { } at && StringValue(v.GetRawText()) is { } av
                ? (at, av) : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    /// <summary>A cached attribute's JSON as text: a string's content, a number's digits (versions may be numeric).</summary>
    private static string? StringValue(string? json)
    {
        if (json is null) return null;
        using var document = JsonDocument.Parse(json);
        return document.RootElement.ValueKind switch
        {
            JsonValueKind.String => document.RootElement.GetString(),
            JsonValueKind.Number => document.RootElement.GetRawText(),
            _ => null,
        };
    }
}
