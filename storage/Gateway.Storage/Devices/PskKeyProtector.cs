using System.Security.Cryptography;
using System.Text;

namespace Gateway.Storage.Devices;

/// <summary>
/// Encrypts DTLS pre-shared keys at rest: AES-256-GCM under a random key kept in <c>psk.key</c> (mode
/// 0600) beside the database, not in it, with the PSK identity as associated data (a key cannot be
/// moved to another identity's row). DTLS needs the key itself at handshake time, so it cannot be
/// hashed like a token; encrypting it outside the database means a copied database, backup or dump
/// alone does not reveal any key. Whoever can read the data directory (root, the service user) can.
/// </summary>
public sealed class PskKeyProtector
{
    public const string FileName = "psk.key";
    private const int NonceSize = 12, TagSize = 16;

    private readonly byte[] _key;

    private PskKeyProtector(byte[] key) => _key = key;

    /// <summary>The key in <paramref name="directory"/>, created on first use (safe when the CLI and the service race).</summary>
    public static PskKeyProtector Load(string directory)
    {
        var path = Path.Combine(directory, FileName);
        if (!File.Exists(path))
        {
            try
            {
                var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
                if (!OperatingSystem.IsWindows()) options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite; // 0600 from the first byte
                using var stream = new FileStream(path, options);
                stream.Write(RandomNumberGenerator.GetBytes(32));
                stream.Flush(flushToDisk: true);
            }
            catch (IOException) when (File.Exists(path))
            {
                // Created by the other process first.
            }
        }
        var key = File.ReadAllBytes(path);
        if (key.Length != 32) throw new InvalidDataException($"{path}: not a 32-byte key; DTLS PSKs stored under it cannot be read");
        return new PskKeyProtector(key);
    }

    public byte[] Protect(string identity, ReadOnlySpan<byte> psk)
    {
        var sealedKey = new byte[NonceSize + TagSize + psk.Length];
        var nonce = sealedKey.AsSpan(0, NonceSize);
        RandomNumberGenerator.Fill(nonce);
        using var aes = new AesGcm(_key, TagSize);
        aes.Encrypt(nonce, psk, sealedKey.AsSpan(NonceSize + TagSize), sealedKey.AsSpan(NonceSize, TagSize), Encoding.UTF8.GetBytes(identity));
        return sealedKey;
    }

    /// <summary>The key, or null if the stored value does not decrypt (another key file, or a moved row).</summary>
    public byte[]? Unprotect(string identity, ReadOnlySpan<byte> sealedKey)
    {
        if (sealedKey.Length < NonceSize + TagSize) return null;
        var psk = new byte[sealedKey.Length - NonceSize - TagSize];
        using var aes = new AesGcm(_key, TagSize);
        try
        {
            aes.Decrypt(sealedKey[..NonceSize], sealedKey[(NonceSize + TagSize)..], sealedKey.Slice(NonceSize, TagSize), psk, Encoding.UTF8.GetBytes(identity));
            return psk;
        }
        catch (AuthenticationTagMismatchException)
        {
            return null;
        }
    }
}
