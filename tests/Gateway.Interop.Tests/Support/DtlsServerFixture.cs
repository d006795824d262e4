using System.Collections.Concurrent;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using Gateway.Coap;
using Gateway.Coap.Messages;
using Gateway.Coap.Server;
using Gateway.Coap.Transport;
using Gateway.Coap.Transport.Dtls;

namespace Gateway.Interop.Tests.Support;

/// <summary>
/// Our CoAP server in this process over DTLS on real UDP (dual-stack, free port), with an in-memory
/// credential store: PSK identity <see cref="PskIdentity"/> → device <see cref="PskDevice"/>.
/// <c>/whoami</c> answers the request's session identity, so tests see what the transport authenticated.
/// </summary>
public sealed class DtlsServerFixture : IDisposable
{
    public const string PskIdentity = "dev-psk-1";
    public const string PskKey = "secret-psk-key-1";
    public const string PskDevice = "Psk Device";

    public DtlsServerFixture() : this(DtlsCertificates.None, new DtlsServerOptions { HandshakeTimeout = TimeSpan.FromSeconds(4) })
    {
    }

    internal DtlsServerFixture(DtlsCertificates certificates, DtlsServerOptions options)
    {
        Store.Psks[PskIdentity] = new DtlsPskCredential(PskDevice, Encoding.UTF8.GetBytes(PskKey));
        Server = new CoapServer();
        Server.Add("", new DelegateResource("whoami").On(CoapCode.Get, r => CoapResponse.Text(CoapCode.Content, r.SessionIdentity ?? "(none)")));
        Server.Add("", new DelegateResource("echo").On(CoapCode.Post, r => CoapResponse.WithFormat(CoapCode.Created, r.Payload.ToArray(), r.ContentFormat ?? CoapContentFormat.TextPlain)));
        Transport = new DtlsServerTransport(new UdpDatagramTransport(new IPEndPoint(IPAddress.IPv6Any, 0)), Store, certificates, options);
        Endpoint = new CoapEndpoint(Transport, Server);
        Endpoint.Start();
        Port = ((IPEndPoint)Endpoint.LocalEndPoint).Port;
    }

    public TestCredentialStore Store { get; } = new();

    public CoapServer Server { get; }

    public DtlsServerTransport Transport { get; }

    public CoapEndpoint Endpoint { get; }

    public int Port { get; }

    public string Uri(string path, string host = "127.0.0.1") => $"coaps://{host}:{Port}/{path.TrimStart('/')}";

    public void Dispose() => Endpoint.Dispose();

    /// <summary>PSKs by identity; certificates by SHA-256 fingerprint (hex) or, when CA-issued, by common name.</summary>
    public sealed class TestCredentialStore : IDtlsCredentialStore
    {
        public ConcurrentDictionary<string, DtlsPskCredential> Psks { get; } = new(StringComparer.Ordinal);
        public ConcurrentDictionary<string, string> Fingerprints { get; } = new(StringComparer.OrdinalIgnoreCase);
        public ConcurrentDictionary<string, string> CommonNames { get; } = new(StringComparer.Ordinal);

        public DtlsPskCredential? FindPsk(ReadOnlySpan<byte> identity) =>
            Psks.TryGetValue(Encoding.UTF8.GetString(identity), out var credential) ? credential with { Key = [.. credential.Key] } : null;

        public string? FindCertificateDevice(ReadOnlySpan<byte> sha256Fingerprint, string? commonName, bool issuedByClientCa)
        {
            if (Fingerprints.TryGetValue(Convert.ToHexString(sha256Fingerprint), out var device)) return device;
            return issuedByClientCa && commonName is not null && CommonNames.TryGetValue(commonName, out device) ? device : null;
        }

        public static string Fingerprint(string pemFile) =>
            Convert.ToHexString(SHA256.HashData(System.Security.Cryptography.X509Certificates.X509Certificate2.CreateFromPem(File.ReadAllText(pemFile)).RawData));
    }
}
