using Gateway.Interop.Tests.Support;

namespace Gateway.Interop.Tests.Dtls;

/// <summary>libcoap's OpenSSL and GnuTLS clients (Debian libcoap3-bin) against our DTLS transport with pre-shared keys.</summary>
public sealed class LibcoapDtlsPskTests(DtlsServerFixture server) : IClassFixture<DtlsServerFixture>
{
    [Theory]
    [InlineData("coap-client-openssl")]
    [InlineData("coap-client-gnutls")]
    public async Task Get_WithPsk_SessionCarriesTheDevice(string client)
    {
        var result = await ProcessRunner.RunAsync(client, ["-B", "5", "-u", DtlsServerFixture.PskIdentity, "-k", DtlsServerFixture.PskKey, server.Uri("whoami")]);

        Assert.True(result.StandardOutput.Trim() == DtlsServerFixture.PskDevice, result.Describe());
    }
}
