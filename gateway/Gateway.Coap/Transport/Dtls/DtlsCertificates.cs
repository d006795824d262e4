using Org.BouncyCastle.Crypto;
using Org.BouncyCastle.Crypto.Parameters;
using Org.BouncyCastle.OpenSsl;
using Org.BouncyCastle.Security;
using BcX509 = Org.BouncyCastle.X509;

namespace Gateway.Coap.Transport.Dtls;

/// <summary>
/// The server's X.509 identity (certificate chain and private key, PEM) and the CAs that vouch for
/// client certificates, loaded once at start. Without a certificate only PSK suites are offered.
/// </summary>
public sealed class DtlsCertificates
{
    private DtlsCertificates(IReadOnlyList<BcX509.X509Certificate> chain, AsymmetricKeyParameter? key, IReadOnlyList<BcX509.X509Certificate> clientCas)
    {
        Chain = chain;
        PrivateKey = key;
        ClientCas = clientCas;
    }

    /// <summary>PSK only: no server certificate, no client CAs.</summary>
    public static DtlsCertificates None { get; } = new([], null, []);

    /// <summary>The server certificate first, then any intermediates, as in the PEM file.</summary>
    public IReadOnlyList<BcX509.X509Certificate> Chain { get; }

    public AsymmetricKeyParameter? PrivateKey { get; }

    public IReadOnlyList<BcX509.X509Certificate> ClientCas { get; }

    public bool HasServerCertificate => Chain.Count > 0 && PrivateKey is not null;

    /// <summary>True for an EC key (ECDHE_ECDSA suites), false for RSA (ECDHE_RSA suites).</summary>
    public bool IsEcdsa => PrivateKey is ECPrivateKeyParameters;

    /// <summary>Loads PEM files; throws <see cref="InvalidDataException"/> naming the file on anything unusable.</summary>
    public static DtlsCertificates Load(string? certificateFile, string? keyFile, string? clientCaFile)
    {
        var chain = certificateFile is null ? [] : ReadCertificates(certificateFile);
        AsymmetricKeyParameter? key = keyFile is null ? null : ReadPrivateKey(keyFile);
        if ((certificateFile is null) != (keyFile is null)) throw new InvalidDataException("a certificate needs its key and a key its certificate");
        if (key is not null && key is not (ECPrivateKeyParameters or RsaPrivateCrtKeyParameters))
            throw new InvalidDataException($"{keyFile}: only EC and RSA private keys are supported");
        var cas = clientCaFile is null ? [] : ReadCertificates(clientCaFile);
        return new DtlsCertificates(chain, key, cas);
    }

    private static List<BcX509.X509Certificate> ReadCertificates(string file)
    {
        var list = new List<BcX509.X509Certificate>();
        using (var reader = new PemReader(File.OpenText(file)))
        {
            object? item;
            while ((item = ReadPem(reader, file)) is not null)
            {
                if (item is BcX509.X509Certificate certificate) list.Add(certificate);
            }
        }
        if (list.Count == 0) throw new InvalidDataException($"{file}: no PEM certificate in it");
        return list;
    }

    private static AsymmetricKeyParameter ReadPrivateKey(string file)
    {
        using var reader = new PemReader(File.OpenText(file));
        object? item;
        while ((item = ReadPem(reader, file)) is not null)
        {
            // "EC PRIVATE KEY"/"RSA PRIVATE KEY" read as a pair, "PRIVATE KEY" (PKCS#8) as the key alone.
            if (item is AsymmetricCipherKeyPair pair) return pair.Private;
            if (item is AsymmetricKeyParameter { IsPrivate: true } key) return key;
        }
        throw new InvalidDataException($"{file}: no unencrypted PEM private key in it");
    }

    private static object? ReadPem(PemReader reader, string file)
    {
        try
        {
            return reader.ReadObject();
        }
        catch (Exception e) when (e is IOException or PemException or ArgumentException or InvalidOperationException or SecurityUtilityException)
        {
            throw new InvalidDataException($"{file}: not readable PEM ({e.Message})", e);
        }
    }
}
