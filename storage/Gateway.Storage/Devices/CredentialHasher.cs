using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Data.Sqlite;
using Org.BouncyCastle.Crypto.Digests;
using Org.BouncyCastle.Crypto.Macs;
using Org.BouncyCastle.Crypto.Parameters;

namespace Gateway.Storage.Devices;

/// <summary>
/// Keyed hashes of device credentials (ThingsBoard access tokens, Exosite CIKs):
/// HMAC-SHA256 with a random 32-byte key created once per database and kept in it. A stolen copy of
/// the database therefore yields neither credentials nor hashes that can be checked offline without
/// the key in the same file (a defence against log and dump leaks, not against a full disk theft).
/// The HMAC is BouncyCastle's managed one: through System.Security.Cryptography every gateway that
/// had looked up a device would map OpenSSL's libcrypto (3.4 MiB resident) for good. With the keyed MAC
/// kept per thread it is also about twice as fast as the OpenSSL one-shot for token-sized input.
/// </summary>
public sealed class CredentialHasher
{
    private const string KeyQuery = "SELECT value FROM meta WHERE key = 'credential_key'";

    private const int DigestBytes = 32;

    [ThreadStatic] private static CredentialHasher? t_owner;
    [ThreadStatic] private static HMac? t_mac;

    private readonly byte[] _key;

    private CredentialHasher(byte[] key) => _key = key;

    /// <summary>Loads the database's key, creating it on first use (safe when the CLI and the service race).</summary>
    public static CredentialHasher Load(SqliteDatabase database)
    {
        ArgumentNullException.ThrowIfNull(database);
        using var connection = database.OpenConnection();
        return new CredentialHasher(LoadKey(connection));
    }

    /// <summary>The database's key if it has one: without it no credential was ever stored, so nothing can match.</summary>
    public static CredentialHasher? TryLoad(SqliteConnection connection) =>
        Sql.Scalar(connection, KeyQuery) is byte[] key ? new CredentialHasher(key) : null;

    internal static byte[] LoadKey(SqliteConnection connection)
    {
        // The random draw (OpenSSL on Linux) only when the database has no key yet.
        if (Sql.Scalar(connection, KeyQuery) is byte[] key) return key;
        Sql.Execute(connection, "INSERT OR IGNORE INTO meta (key, value) VALUES ('credential_key', $k)", ("$k", RandomNumberGenerator.GetBytes(32)));
        return (byte[])Sql.Scalar(connection, KeyQuery)!;
    }

    /// <summary>The 32-byte digest stored instead of the credential.</summary>
    public byte[] Hash(string credential)
    {
        var mac = t_owner == this ? t_mac! : KeyedMac();
        var input = Encoding.UTF8.GetBytes(credential);
        mac.BlockUpdate(input, 0, input.Length);
        var digest = new byte[DigestBytes];
        mac.DoFinal(digest, 0); // and back to the keyed initial state for the next credential
        return digest;
    }

    // One keyed MAC per thread: keying per call allocated 1.6 KB and took twice as long as the hash itself.
    private HMac KeyedMac()
    {
        var mac = new HMac(new Sha256Digest());
        mac.Init(new KeyParameter(_key));
        (t_owner, t_mac) = (this, mac);
        return mac;
    }

    /// <summary>The indexed lookup prefix of a digest (its first 8 bytes).</summary>
    public static long Prefix(ReadOnlySpan<byte> digest) => BinaryPrimitives.ReadInt64BigEndian(digest);

    /// <summary>A short, non-reversible id of a credential that is safe to log ("cred#1a2b3c4d").</summary>
    public string LogId(string credential) => "cred#" + Convert.ToHexStringLower(Hash(credential).AsSpan(0, 4));

    /// <summary>Constant-time comparison of two digests.</summary>
    public static bool Matches(ReadOnlySpan<byte> digest, ReadOnlySpan<byte> stored) => CryptographicOperations.FixedTimeEquals(digest, stored);
}
