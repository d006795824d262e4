using System.Text;
using Gateway.Coap.Transport.Dtls;

namespace Gateway.Coap.Tests.Transport;

/// <summary>The credentials the DTLS transport tests know: PSK identity <c>dev-1</c> with key <c>key-of-dev-1</c>, for device "Device 1".</summary>
internal sealed class DtlsTestStore : IDtlsCredentialStore
{
    public DtlsPskCredential? FindPsk(ReadOnlySpan<byte> identity) =>
        Encoding.UTF8.GetString(identity) == "dev-1" ? new DtlsPskCredential("Device 1", Encoding.UTF8.GetBytes("key-of-dev-1")) : null;

    public string? FindCertificateDevice(ReadOnlySpan<byte> sha256Fingerprint, string? commonName, bool issuedByClientCa) => null;
}
