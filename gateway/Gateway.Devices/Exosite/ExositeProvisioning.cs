using System.Globalization;
using Gateway.Storage.Content;
using Gateway.Storage.Devices;
using Microsoft.Extensions.Logging;

namespace Gateway.Devices.Exosite;

/// <summary>
/// Activation and content (peers.md §A.1 activate / list / info / download, §A.5 provisioning model).
/// Content added by <c>coap-gateway content add --vendor V --model M --id ID</c> is stored as
/// <c>exosite/V/M/ID</c>; a device sees the content of its own vendor and model only (§A.5: content is
/// per model), anything else is 4.04 ("No device or no content found with given information").
/// </summary>
public sealed class ExositeProvisioning(IDeviceStore devices, IContentStore content, ExositeOptions options, ILogger<ExositeProvisioning> logger)
{
    private const string Prefix = "exosite/";

    /// <summary>§A.1 activate: 2.05 with the 40-character CIK exactly (libexositecoap checks the length, §A.2), else 4.04 (also a second activation, §A.5).</summary>
    public async ValueTask<ExositeResult> ActivateAsync(string vendor, string model, string serial, CancellationToken cancellationToken = default)
    {
        var cik = await devices.ActivateAsync(vendor, model, serial, cancellationToken).ConfigureAwait(false);
        if (cik is null)
        {
            ExositeLog.ActivationRefused(logger, vendor, model);
            return ExositeResult.NotFound;
        }
        ExositeLog.Activated(logger, serial, vendor, model);
        return ExositeResult.Text(cik);
    }

    /// <summary>§A.1 list content: ids separated by newlines (the text, not the diagram's commas, is canonical); none → 4.04.</summary>
    public async ValueTask<ExositeResult> ListAsync(DeviceRecord device, string vendor, string model, CancellationToken cancellationToken = default)
    {
        if (!Owns(device, vendor, model)) return ExositeResult.NotFound;
        var prefix = $"{Prefix}{vendor}/{model}/";
        var ids = (await content.ListAsync(cancellationToken).ConfigureAwait(false))
            .Where(c => c.Name.StartsWith(prefix, StringComparison.Ordinal) && c.Name.IndexOf('/', prefix.Length) < 0)
            .Select(c => c.Name[prefix.Length..])
            .Order(StringComparer.Ordinal)
            .ToList();
        return ids.Count == 0 ? ExositeResult.NotFound : ExositeResult.Text(string.Join('\n', ids));
    }

    /// <summary>§A.1 content info: <c>&lt;content-type&gt;,&lt;byte-size&gt;,&lt;updated-timestamp&gt;,&lt;meta&gt;</c> (Unix seconds; empty meta when none).</summary>
    public async ValueTask<ExositeResult> InfoAsync(DeviceRecord device, string vendor, string model, string id, CancellationToken cancellationToken = default)
    {
        if (!Owns(device, vendor, model)) return ExositeResult.NotFound;
        var info = await content.GetInfoAsync(Name(vendor, model, id), cancellationToken).ConfigureAwait(false);
        if (info is null) return ExositeResult.NotFound;
        return ExositeResult.Text(string.Create(CultureInfo.InvariantCulture, $"{info.ContentType},{info.Size},{info.Updated.ToUnixTimeSeconds()},{info.Meta}"));
    }

    /// <summary>
    /// §A.1 download: the blob opened for random access (the CoAP endpoint reads it block by block from its
    /// file, never whole); over <see cref="ExositeOptions.MaxDownloadBytes"/> → 4.04.
    /// </summary>
    public async ValueTask<ContentReader?> OpenDownloadAsync(DeviceRecord device, string vendor, string model, string id, CancellationToken cancellationToken = default)
    {
        if (!Owns(device, vendor, model)) return null;
        var reader = await content.OpenAsync(Name(vendor, model, id), cancellationToken).ConfigureAwait(false);
        return reader is null || reader.Info.Size > options.MaxDownloadBytes ? null : reader;
    }

    private static bool Owns(DeviceRecord device, string vendor, string model) =>
        string.Equals(device.Vendor, vendor, StringComparison.Ordinal) && string.Equals(device.Model, model, StringComparison.Ordinal);

    private static string Name(string vendor, string model, string id) => $"{Prefix}{vendor}/{model}/{id}";
}
