using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Data.Sqlite;

namespace Gateway.Storage.Devices;

/// <summary>
/// Keyed hashes of device credentials (ThingsBoard access tokens, Exosite CIKs):
/// HMAC-SHA256 with a random 32-byte key created once per database and kept in it. A stolen copy of
/// the database therefore yields neither credentials nor hashes that can be checked offline without
/// the key in the same file (a defence against log and dump leaks, not against a full disk theft).
/// </summary>
public sealed class CredentialHasher
{
    private readonly byte[] _key;

    private CredentialHasher(byte[] key) => _key = key;

    /// <summary>Loads the database's key, creating it on first use (safe when the CLI and the service race).</summary>
    public static CredentialHasher Load(SqliteDatabase database)
    {
        ArgumentNullException.ThrowIfNull(database);
        using var connection = database.OpenConnection();
        return new CredentialHasher(LoadKey(connection));
    }

    internal static byte[] LoadKey(SqliteConnection connection)
    {
        Sql.Execute(connection, "INSERT OR IGNORE INTO meta (key, value) VALUES ('credential_key', $k)", ("$k", RandomNumberGenerator.GetBytes(32)));
        return (byte[])Sql.Scalar(connection, "SELECT value FROM meta WHERE key = 'credential_key'")!;
    }

    /// <summary>The 32-byte digest stored instead of the credential.</summary>
    public byte[] Hash(string credential) => HMACSHA256.HashData(_key, Encoding.UTF8.GetBytes(credential));

    /// <summary>The indexed lookup prefix of a digest (its first 8 bytes).</summary>
    public static long Prefix(ReadOnlySpan<byte> digest) => BinaryPrimitives.ReadInt64BigEndian(digest);

    /// <summary>A short, non-reversible id of a credential that is safe to log ("cred#1a2b3c4d").</summary>
    public string LogId(string credential) => "cred#" + Convert.ToHexStringLower(Hash(credential).AsSpan(0, 4));

    /// <summary>Constant-time comparison of two digests.</summary>
    public static bool Matches(ReadOnlySpan<byte> digest, ReadOnlySpan<byte> stored) => CryptographicOperations.FixedTimeEquals(digest, stored);
}
