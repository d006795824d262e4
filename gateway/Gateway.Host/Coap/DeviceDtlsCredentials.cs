using System.Text;
using Gateway.Coap.Transport.Dtls;
using Gateway.Storage.Devices;

namespace Gateway.Host.Coap;

/// <summary>
/// The device registry as the DTLS server's credential store: PSK identities and client certificates
/// registered with <c>devices add</c>. Called on a handshake's own thread, so the synchronous SQLite
/// store is called directly.
/// </summary>
public sealed class DeviceDtlsCredentials(IDeviceStore devices) : IDtlsCredentialStore
{
    public DtlsPskCredential? FindPsk(ReadOnlySpan<byte> identity)
    {
        string name;
        try
        {
            name = new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(identity);
        }
        catch (DecoderFallbackException)
        {
            return null; // identities are registered as text
        }
        var found = devices.FindByPskIdentityAsync(name).GetAwaiter().GetResult();
        return found is { } f ? new DtlsPskCredential(f.Device.Name, f.Key) : null;
    }

    public string? FindCertificateDevice(ReadOnlySpan<byte> sha256Fingerprint, string? commonName, bool issuedByClientCa)
    {
        if (devices.FindByCertificateAsync(sha256Fingerprint.ToArray()).GetAwaiter().GetResult() is { } registered) return registered.Name;
        // A certificate from the configured client CA stands for the device its CN names (the CA vouches for it).
        if (issuedByClientCa && commonName is not null && devices.FindByNameAsync(commonName).GetAwaiter().GetResult() is { } named) return named.Name;
        return null;
    }
}
