using System.Security.Cryptography;
using Gateway.Interop.Tests.Support;

namespace Gateway.Interop.Tests.EndToEnd;

/// <summary>
/// Issue 21: an image larger than the old 4 MiB in-memory cap, stored with <c>firmware add</c> and downloaded by
/// libcoap in 1024-byte Block2 blocks from the running gateway, which reads each block from the file on disk.
/// </summary>
public sealed class LargeImageTests
{
    [Fact]
    public async Task MultiMegabyteFirmware_DownloadedByLibcoapIn1024ByteBlocks_IsByteExact()
    {
        string dir = Path.Combine(Path.GetTempPath(), $"coapgw-large-{Guid.NewGuid():N}");
        Directory.CreateDirectory(dir);
        try
        {
            string dataDir = Path.Combine(dir, "data");
            string imageFile = Path.Combine(dir, "fw.bin"), received = Path.Combine(dir, "received.bin");
            var image = new byte[6 * 1024 * 1024 + 123];
            new Random(21).NextBytes(image);
            await File.WriteAllBytesAsync(imageFile, image);
            string token = (await Cli(dataDir, "devices", "add", "Big Node")).StandardOutput.Trim();
            await Cli(dataDir, "firmware", "add", "--title", "bigfw", "--version", "2.0", "--file", imageFile, "--device", "Big Node");
            Assert.Single(Directory.GetFiles(Path.Combine(dataDir, "content"))); // the body is a file, not database chunks
            await using var gateway = await GatewayProcess.StartAsync(dataDir, "--Coap:MaxBlockSize=1024");

            var result = await ProcessRunner.RunAsync(Peers.LibcoapClient,
                ["-b", "1024", "-B", "300", "-o", received, $"coap://[::1]:{gateway.Port}/fw/{token}?title=bigfw&version=2.0"], TimeSpan.FromSeconds(320));

            Assert.True(result.ExitCode == 0, result.Describe());
            Assert.Equal(SHA256.HashData(image), SHA256.HashData(await File.ReadAllBytesAsync(received)));
        }
        finally
        {
            try
            {
                Directory.Delete(dir, recursive: true);
            }
            catch (IOException)
            {
                // A leftover temp directory must not hide the assertion that failed.
            }
        }
    }

    private static async Task<ProcessResult> Cli(string dataDir, params string[] arguments)
    {
        var result = await ProcessRunner.RunAsync("dotnet", [GatewayProcess.AssemblyPath, .. arguments, $"--data-dir={dataDir}"]);
        Assert.True(result.ExitCode == 0, result.Describe());
        return result;
    }
}
