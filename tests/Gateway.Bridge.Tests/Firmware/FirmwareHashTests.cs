using System.Text;
using Gateway.Bridge.Firmware;

namespace Gateway.Bridge.Tests.Firmware;

/// <summary>
/// The checksum algorithms ThingsBoard offers for <c>fw_checksum_algorithm</c>, pinned with published vectors, in
/// the hex form ThingsBoard writes (Guava's <c>HashCode.toString()</c>: CRC32 and Murmur3 bytes low first).
/// </summary>
public class FirmwareHashTests
{
    private const string Fox = "The quick brown fox jumps over the lazy dog";

    [Theory]
    // RFC 1321 appendix A.5.
    [InlineData("MD5", "", "d41d8cd98f00b204e9800998ecf8427e")]
    [InlineData("MD5", "abc", "900150983cd24fb0d6963f7d28e17f72")]
    // FIPS 180-2 appendix B/C/D examples.
    [InlineData("SHA256", "abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")]
    [InlineData("sha384", "abc", "cb00753f45a35e8bb5a03d699ac65007272c32ab0eded1631a8b605a43ff5bed8086072ba1e7cc2358baeca134c825a7")]
    [InlineData("SHA512", "abc", "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f")]
    // CRC-32/ISO-HDLC check value 0xCBF43926 (the CRC catalogue), and the well-known 0x414FA339 of the fox sentence.
    [InlineData("CRC32", "123456789", "2639f4cb")]
    [InlineData("CRC32", Fox, "39a34f41")]
    [InlineData("CRC32", "", "00000000")]
    // MurmurHash3_x86_32, seed 0 (SMHasher; Guava's Murmur3_32HashFunctionTest): 0x2e4ff723, 0xba6bd213, 0xc0363e43.
    [InlineData("MURMUR3_32", Fox, "23f74f2e")]
    [InlineData("MURMUR3_32", "test", "13d26bba")]
    [InlineData("MURMUR3_32", "Hello, world!", "433e36c0")]
    [InlineData("MURMUR3_32", "", "00000000")]
    // MurmurHash3_x64_128, seed 0: h1 = 0xe34bbc7bbc071b6c, h2 = 0x7a433ca9c49a9347 for the fox (Guava's Murmur3_128HashFunctionTest).
    [InlineData("MURMUR3_128", Fox, "6c1b07bc7bbc4be347939ac4a93c437a")]
    [InlineData("MURMUR3_128", "", "00000000000000000000000000000000")]
    public void PublishedVectors(string algorithm, string input, string expected)
    {
        using var hash = FirmwareHash.Create(algorithm)!;
        hash.Append(Encoding.ASCII.GetBytes(input));
        Assert.Equal(expected, hash.FinishHex());
    }

    [Theory]
    [InlineData("CRC32")]
    [InlineData("MURMUR3_32")]
    [InlineData("MURMUR3_128")]
    [InlineData("SHA256")]
    public void FedInPieces_EqualsFedWhole(string algorithm)
    {
        // A downloaded file is hashed in buffers of any length: every split of 0..70 bytes (all tail lengths of the 4- and 16-byte blocks) must agree.
        var random = new Random(23);
        for (int length = 0; length <= 70; length++)
        {
            var data = new byte[length];
            random.NextBytes(data);
            using var whole = FirmwareHash.Create(algorithm)!;
            whole.Append(data);
            var expected = whole.FinishHex();
            for (int split = 0; split <= length; split++)
            {
                using var pieces = FirmwareHash.Create(algorithm)!;
                pieces.Append(data.AsSpan(0, split));
                foreach (var b in data.AsSpan(split).ToArray()) pieces.Append([b]);
                Assert.Equal(expected, pieces.FinishHex());
            }
        }
    }

    [Fact]
    public void UnknownAlgorithm_IsNull() => Assert.Null(FirmwareHash.Create("SHA1"));
}
