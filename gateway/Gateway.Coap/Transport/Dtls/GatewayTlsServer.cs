using System.Security.Cryptography;
using Org.BouncyCastle.Asn1.X509;
using Org.BouncyCastle.Tls;
using Org.BouncyCastle.Tls.Crypto;
using Org.BouncyCastle.Tls.Crypto.Impl.BC;
using BcX509 = Org.BouncyCastle.X509;

namespace Gateway.Coap.Transport.Dtls;

/// <summary>
/// The server side of one DTLS 1.2 handshake (BouncyCastle's <see cref="AbstractTlsServer"/>): PSK
/// (RFC 4279, RFC 5489) and ECDHE with a certificate (RFC 8422), an optional client certificate mapped
/// to a device, and a connection id (RFC 9146). One instance per handshake: it records who the peer
/// turned out to be and, on failure, why.
/// </summary>
internal sealed class GatewayTlsServer : AbstractTlsServer, TlsPskIdentityManager
{
    // RFC 7252 §9.1.3.1 and §9.1.3.2 mandate the two CCM_8 suites; the others are AEAD suites that libcoap's
    // OpenSSL and GnuTLS builds offer by default, so stock clients find one in common. Our order wins
    // (PreferLocalCipherSuites): the RFC 7252 suite first. AEAD only: a forged short record must be
    // droppable before the library sees it (see DtlsRecordHeader.AllRecordsDecodable).
    private static readonly int[] PskSuites =
    [
        CipherSuite.TLS_PSK_WITH_AES_128_CCM_8,
        CipherSuite.TLS_PSK_WITH_AES_128_CCM,
        CipherSuite.TLS_PSK_WITH_AES_128_GCM_SHA256,
        CipherSuite.TLS_PSK_WITH_AES_256_GCM_SHA384,
        CipherSuite.TLS_PSK_WITH_CHACHA20_POLY1305_SHA256,
        CipherSuite.TLS_ECDHE_PSK_WITH_CHACHA20_POLY1305_SHA256,
        CipherSuite.TLS_PSK_WITH_AES_256_CCM_8,
        CipherSuite.TLS_PSK_WITH_AES_256_CCM,
    ];

    private static readonly int[] EcdsaSuites =
    [
        CipherSuite.TLS_ECDHE_ECDSA_WITH_AES_128_CCM_8,
        CipherSuite.TLS_ECDHE_ECDSA_WITH_AES_128_CCM,
        CipherSuite.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
        CipherSuite.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
        CipherSuite.TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
        CipherSuite.TLS_ECDHE_ECDSA_WITH_AES_256_CCM_8,
    ];

    private static readonly int[] RsaSuites =
    [
        CipherSuite.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
        CipherSuite.TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
        CipherSuite.TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
    ];

    private static readonly TimeSpan HandshakeTimeoutBackstop = TimeSpan.FromSeconds(5);

    private readonly IDtlsCredentialStore _store;
    private readonly DtlsCertificates _certificates;
    private readonly DtlsServerOptions _options;
    private readonly TimeProvider _time;
    private readonly Func<byte[]?> _newConnectionId;

    public GatewayTlsServer(BcTlsCrypto crypto, IDtlsCredentialStore store, DtlsCertificates certificates, DtlsServerOptions options,
        TimeProvider time, Func<byte[]?> newConnectionId) : base(crypto)
    {
        _store = store;
        _certificates = certificates;
        _options = options;
        _time = time;
        _newConnectionId = newConnectionId;
    }

    /// <summary>The device the peer authenticated as (PSK or mapped client certificate); null for one-way certificate DTLS.</summary>
    public string? Device { get; private set; }

    /// <summary>"psk", "certificate" or "none" (one-way: the token in the URI authenticates).</summary>
    public string Credential { get; private set; } = "none";

    /// <summary>A PSK identity was found: a handshake that then stalls means the peer's key differs.</summary>
    public bool PskIdentityKnown { get; private set; }

    /// <summary>Why this handshake was refused, when we decided it (rather than the library or the peer).</summary>
    public DtlsHandshakeFailure? Failure { get; private set; }

    public string CipherSuiteName => m_context?.SecurityParameters?.CipherSuite is int suite and not 0 ? $"cipher suite 0x{suite:X4}" : "no cipher suite";

    /// <summary>Explicit nonce (8, RFC 5288/6655) plus tag (8 for CCM_8, else 16); ChaCha20 has no explicit nonce (RFC 7905).</summary>
    public int MinCiphertextLength => m_context?.SecurityParameters?.CipherSuite switch
    {
        CipherSuite.TLS_PSK_WITH_AES_128_CCM_8 or CipherSuite.TLS_PSK_WITH_AES_256_CCM_8 or CipherSuite.TLS_ECDHE_ECDSA_WITH_AES_128_CCM_8
            or CipherSuite.TLS_ECDHE_ECDSA_WITH_AES_256_CCM_8 => 16,
        CipherSuite.TLS_PSK_WITH_CHACHA20_POLY1305_SHA256 or CipherSuite.TLS_ECDHE_PSK_WITH_CHACHA20_POLY1305_SHA256
            or CipherSuite.TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256 or CipherSuite.TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256 => 16,
        _ => 24,
    };

    protected override ProtocolVersion[] GetSupportedVersions() => ProtocolVersion.DTLSv12.Only();

    protected override int[] GetSupportedCipherSuites()
    {
        IEnumerable<int> suites = PskSuites;
        if (_certificates.HasServerCertificate) suites = (_certificates.IsEcdsa ? EcdsaSuites : RsaSuites).Concat(suites);
        return TlsUtilities.GetSupportedCipherSuites(Crypto, [.. suites]);
    }

    protected override bool PreferLocalCipherSuites() => true;

    /// <summary>
    /// The transport's sweep ends a handshake at <see cref="DtlsServerOptions.HandshakeTimeout"/> on its own clock
    /// (a <see cref="TimeProvider"/>, so tests decide when); the library's wall-clock timer is only a backstop behind it.
    /// </summary>
    public override int GetHandshakeTimeoutMillis() => (int)(_options.HandshakeTimeout + HandshakeTimeoutBackstop).TotalMilliseconds;

    /// <summary>RFC 6347 §4.1.2.7: invalid records are silently discarded, never fatal (an off-path forger cannot end a session).</summary>
    public override bool IgnoreCorruptDtlsRecords => true;

    protected override byte[]? GetNewConnectionID() => _newConnectionId();

    public override TlsPskIdentityManager GetPskIdentityManager() => this;

    // RFC 4279 §5.2: no hint; devices know which identity to use.
    public byte[]? GetHint() => null;

    public byte[]? GetPsk(byte[] identity)
    {
        var credential = _store.FindPsk(identity);
        if (credential is null)
        {
            Failure = DtlsHandshakeFailure.UnknownIdentity;
            return null; // the library answers unknown_psk_identity (RFC 4279 §2)
        }
        PskIdentityKnown = true;
        Device = credential.Device;
        Credential = "psk";
        return credential.Key;
    }

    public override TlsCredentials? GetCredentials()
    {
        int exchange = m_context.SecurityParameters.KeyExchangeAlgorithm;
        if (exchange is KeyExchangeAlgorithm.PSK or KeyExchangeAlgorithm.ECDHE_PSK or KeyExchangeAlgorithm.DHE_PSK) return null;
        if (!_certificates.HasServerCertificate) throw new TlsFatalAlert(AlertDescription.internal_error);
        short algorithm = _certificates.IsEcdsa ? SignatureAlgorithm.ecdsa : SignatureAlgorithm.rsa;
        var signature = TlsUtilities.ChooseSignatureAndHashAlgorithm(m_context, m_context.SecurityParameters.ClientSigAlgs, algorithm);
        var chain = new Certificate([.. _certificates.Chain.Select(c => Crypto.CreateCertificate(c.GetEncoded()))]);
        return new BcDefaultTlsCredentialedSigner(new TlsCryptoParameters(m_context), (BcTlsCrypto)Crypto, _certificates.PrivateKey, chain, signature);
    }

    /// <summary>
    /// With a certificate suite, ask for a client certificate; the client may send none (one-way DTLS,
    /// the access token in the URI then authenticates, thingsboard.md §2.9). PSK suites cannot carry one.
    /// </summary>
    public override CertificateRequest? GetCertificateRequest()
    {
        int exchange = m_context.SecurityParameters.KeyExchangeAlgorithm;
        if (exchange is not (KeyExchangeAlgorithm.ECDHE_ECDSA or KeyExchangeAlgorithm.ECDHE_RSA)) return null;
        var algorithms = TlsUtilities.GetDefaultSupportedSignatureAlgorithms(m_context);
        var authorities = _certificates.ClientCas.Select(ca => ca.SubjectDN).ToList();
        return new CertificateRequest([ClientCertificateType.ecdsa_sign, ClientCertificateType.rsa_sign], algorithms, authorities);
    }

    public override void NotifyClientCertificate(Certificate clientCertificate)
    {
        if (clientCertificate is null || clientCertificate.IsEmpty) return; // one-way DTLS
        var chain = clientCertificate.GetCertificateList();
        BcX509.X509Certificate leaf;
        try
        {
            leaf = new BcX509.X509Certificate(X509CertificateStructure.GetInstance(chain[0].GetEncoded()));
        }
        catch (Exception e) when (e is ArgumentException or InvalidCastException or IOException)
        {
            Refuse(DtlsHandshakeFailure.BadCertificate, AlertDescription.bad_certificate);
            return;
        }
        var now = _time.GetUtcNow().UtcDateTime;
        if (!leaf.IsValid(now)) Refuse(DtlsHandshakeFailure.BadCertificate, AlertDescription.certificate_expired);
        byte[] fingerprint = SHA256.HashData(chain[0].GetEncoded());
        string? commonName = leaf.SubjectDN.GetValueList(X509Name.CN).FirstOrDefault();
        bool trusted = _certificates.ClientCas.Count > 0 && ChainsToClientCa(leaf, chain, now);
        var device = _store.FindCertificateDevice(fingerprint, commonName, trusted);
        if (device is null) Refuse(DtlsHandshakeFailure.UnknownCertificate, AlertDescription.certificate_unknown);
        // The library then checks the peer's CertificateVerify against this leaf: the client holds its key.
        Device = device;
        Credential = "certificate";
    }

    /// <summary>The leaf is signed by a configured CA, directly or through CA certificates the client sent.</summary>
    private bool ChainsToClientCa(BcX509.X509Certificate leaf, TlsCertificate[] presented, DateTime now)
    {
        var current = leaf;
        for (int depth = 0; depth < 5; depth++)
        {
            foreach (var ca in _certificates.ClientCas)
            {
                if (ca.SubjectDN.Equivalent(current.IssuerDN) && ca.IsValid(now) && SignedBy(current, ca)) return true;
            }
            BcX509.X509Certificate? next = null;
            foreach (var candidate in presented.Skip(1))
            {
                BcX509.X509Certificate certificate;
                try { certificate = new BcX509.X509Certificate(X509CertificateStructure.GetInstance(candidate.GetEncoded())); }
                catch (Exception e) when (e is ArgumentException or InvalidCastException or IOException) { continue; }
                if (certificate.SubjectDN.Equivalent(current.IssuerDN) && certificate.GetBasicConstraints() >= 0 && certificate.IsValid(now) && SignedBy(current, certificate))
                {
                    next = certificate;
                    break;
                }
            }
            if (next is null) return false;
            current = next;
        }
        return false;
    }

    private static bool SignedBy(BcX509.X509Certificate certificate, BcX509.X509Certificate issuer)
    {
        try
        {
            certificate.Verify(issuer.GetPublicKey());
            return true;
        }
#pragma warning disable CA1031 // any failure to verify means "not signed by it"; BouncyCastle throws several unrelated types here
        catch (Exception)
#pragma warning restore CA1031
        {
            return false;
        }
    }

    private void Refuse(DtlsHandshakeFailure failure, short alert)
    {
        Failure = failure;
        throw new TlsFatalAlert(alert);
    }
}
