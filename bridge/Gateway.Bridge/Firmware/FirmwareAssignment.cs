using System.Buffers;
using System.Globalization;
using System.Text.Json;

namespace Gateway.Bridge.Firmware;

/// <summary>
/// A firmware package ThingsBoard assigned to a device with an external URL (thingsboard.md §1.7): the
/// <c>fw_*</c> shared attributes as they came (raw JSON, written to the cache only once the image is
/// verified) and the fields the download needs.
/// </summary>
public sealed record FirmwareAssignment(string Device, string Title, string Version, Uri Url, long? Size, string? Checksum, string? Algorithm,
    IReadOnlyDictionary<string, string> Attributes)
{
    public const string Prefix = "fw_";
    public const string UrlKey = "fw_url";

    /// <summary>The content blob the verified image is stored as, where <c>/fw</c> serves it from.</summary>
    public string PackageName => $"firmware/{Title}/{Version}";

    /// <summary>Whether <paramref name="keys"/> assign a package by URL, which the gateway fetches itself.</summary>
    public static bool IsUrlPackage(IEnumerable<string> keys) => keys.Contains(UrlKey, StringComparer.Ordinal);

    /// <summary>The assignment in <paramref name="attributes"/> (key → raw JSON, the <c>fw_*</c> keys of one update), or a one-line problem.</summary>
    public static FirmwareAssignment? Parse(string device, IReadOnlyDictionary<string, string> attributes, out string? problem)
    {
        problem = null;
        var fw = attributes.Where(a => a.Key.StartsWith(Prefix, StringComparison.Ordinal)).ToDictionary(StringComparer.Ordinal);
        string? title = Text(fw, "fw_title"), version = Text(fw, "fw_version"), url = Text(fw, UrlKey);
        string? checksum = Text(fw, "fw_checksum"), algorithm = Text(fw, "fw_checksum_algorithm"), size = Text(fw, "fw_size");
        if (title is null || version is null) problem = "fw_title and fw_version are required";
        else if (!ValidSegment(title) || !ValidSegment(version)) problem = "fw_title or fw_version holds '/' or control characters";
        else if (url is null || !Uri.TryCreate(url, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps))
            problem = "fw_url is not an absolute http(s) URL";
        else if (size is not null && (!long.TryParse(size, NumberStyles.None, CultureInfo.InvariantCulture, out var n) || n < 0))
            problem = "fw_size is not a non-negative integer";
        else if (algorithm is not null && !FirmwareHash.Algorithms.Contains(algorithm.ToUpperInvariant())) problem = $"unknown fw_checksum_algorithm '{algorithm}'";
        else
        {
            return new FirmwareAssignment(device, title, version, uri, size is null ? null : long.Parse(size, CultureInfo.InvariantCulture),
                string.IsNullOrEmpty(checksum) ? null : checksum, algorithm, fw);
        }
        return null;
    }

    /// <summary><c>{"device":…,"data":{fw_*}}</c>, the shape of the downlink, as the pending record.</summary>
    public byte[] ToJson()
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteString("device", Device);
            writer.WritePropertyName("data");
            WriteAttributes(writer);
            writer.WriteEndObject();
        }
        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>The <c>fw_*</c> attributes as one flat object, as the device gets them (§1.3).</summary>
    public byte[] AttributesJson()
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        using (var writer = new Utf8JsonWriter(buffer)) WriteAttributes(writer);
        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>Reads a pending record written by <see cref="ToJson"/>; null when it is not one.</summary>
    public static FirmwareAssignment? FromJson(ReadOnlySpan<byte> json)
    {
        try
        {
            var reader = new Utf8JsonReader(json);
            using var document = JsonDocument.ParseValue(ref reader);
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("device", out var d) || d.GetString() is not { } device
                || !root.TryGetProperty("data", out var data) || data.ValueKind != JsonValueKind.Object) return null;
            return Parse(device, data.EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetRawText(), StringComparer.Ordinal), out _);
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException)
        {
            return null;
        }
    }

    private void WriteAttributes(Utf8JsonWriter writer)
    {
        writer.WriteStartObject();
        foreach (var (key, json) in Attributes)
        {
            writer.WritePropertyName(key);
            writer.WriteRawValue(json);
        }
        writer.WriteEndObject();
    }

    /// <summary>A raw JSON value as text: a string's content, a number's digits (versions and sizes may be numbers).</summary>
    private static string? Text(Dictionary<string, string> attributes, string key)
    {
        if (!attributes.TryGetValue(key, out var json)) return null;
        try
        {
            using var document = JsonDocument.Parse(json);
            return document.RootElement.ValueKind switch
            {
                JsonValueKind.String => document.RootElement.GetString(),
                JsonValueKind.Number => document.RootElement.GetRawText(),
                _ => null,
            };
        }
        catch (JsonException)
        {
            return null;
        }
    }

    /// <summary>Title and version become a content name segment (<c>firmware/{title}/{version}</c>).</summary>
    private static bool ValidSegment(string value) => value.Length is > 0 and <= 128 && !value.Any(c => c == '/' || char.IsControl(c));
}
