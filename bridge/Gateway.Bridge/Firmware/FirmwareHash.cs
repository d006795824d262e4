using System.Security.Cryptography;

namespace Gateway.Bridge.Firmware;

/// <summary>
/// An incremental checksum of a firmware image, for the algorithms ThingsBoard offers in
/// <c>fw_checksum_algorithm</c> (thingsboard.md §1.7): fed in pieces as the file is read, never whole.
/// </summary>
public abstract class FirmwareHash : IDisposable
{
    /// <summary>The names ThingsBoard uses (its <c>ChecksumAlgorithm</c> enum), upper case.</summary>
    public static readonly IReadOnlyList<string> Algorithms = ["MD5", "SHA256", "SHA384", "SHA512", "CRC32", "MURMUR3_32", "MURMUR3_128"];

    /// <summary>The hash for <paramref name="algorithm"/> (case-insensitive), or null when ThingsBoard has no such algorithm.</summary>
    public static FirmwareHash? Create(string algorithm) => algorithm.ToUpperInvariant() switch
    {
        "MD5" => new Digest(HashAlgorithmName.MD5),
        "SHA256" => new Digest(HashAlgorithmName.SHA256),
        "SHA384" => new Digest(HashAlgorithmName.SHA384),
        "SHA512" => new Digest(HashAlgorithmName.SHA512),
        "CRC32" => new Crc32Hash(),
        "MURMUR3_32" => new Murmur3Hash32(),
        "MURMUR3_128" => new Murmur3Hash128(),
        _ => null,
    };

    public abstract void Append(ReadOnlySpan<byte> data);

    /// <summary>
    /// The checksum's bytes in the order ThingsBoard prints them: digests as they are; CRC32 and Murmur3
    /// little-endian, because the server computes <c>fw_checksum</c> with Guava, whose <c>HashCode.toString()</c>
    /// writes an int hash's bytes low first (the ThingsBoard Python SDK's <c>verify_checksum</c> reverses them the same way).
    /// </summary>
    public abstract byte[] Finish();

    /// <summary>Lower-case hex of <see cref="Finish"/>, as in <c>fw_checksum</c>.</summary>
    public string FinishHex() => Convert.ToHexStringLower(Finish());

    public virtual void Dispose() => GC.SuppressFinalize(this);

    private sealed class Digest(HashAlgorithmName name) : FirmwareHash
    {
        private readonly IncrementalHash _hash = IncrementalHash.CreateHash(name);

        public override void Append(ReadOnlySpan<byte> data) => _hash.AppendData(data);

        public override byte[] Finish() => _hash.GetHashAndReset();

        public override void Dispose()
        {
            _hash.Dispose();
            base.Dispose();
        }
    }
}
