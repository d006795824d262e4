using System.Globalization;
using System.Net;
using Gateway.Coap;
using Gateway.Coap.Messages;
using Gateway.Coap.Server;
using Gateway.Coap.Transport;
using Gateway.Interop.Tests.Support;

namespace Gateway.Interop.Tests.EndToEnd;

/// <summary>
/// Issue 17: small blocks for slow links (RFC 7959). libcoap downloads a firmware image from the running gateway in
/// 16-byte blocks, asked for by the client (§2.4) or set by <c>Coap:MaxBlockSize</c>; and uploads in 32-byte blocks,
/// chosen by the client or asked for by the server in its 2.31 (§2.5). Every transfer is compared byte for byte.
/// </summary>
public sealed class SmallBlockTests
{
    private static byte[] Image(int length)
    {
        var random = new Random(17);
        var bytes = new byte[length];
        random.NextBytes(bytes);
        return bytes;
    }

    private static async Task<ProcessResult> Cli(string dataDir, params string[] arguments)
    {
        var result = await ProcessRunner.RunAsync("dotnet", [GatewayProcess.AssemblyPath, .. arguments, $"--data-dir={dataDir}"]);
        Assert.True(result.ExitCode == 0, result.Describe());
        return result;
    }

    [Theory]
    [InlineData(512, "16")]  // the client asks for 16-byte blocks from the first request on
    [InlineData(16, null)]   // the gateway's Coap:MaxBlockSize sets them
    public async Task FirmwareDownload_In16ByteBlocks_IsByteExact(int maxBlockSize, string? clientBlockSize)
    {
        string dir = Path.Combine(Path.GetTempPath(), $"coapgw-blocks-{Guid.NewGuid():N}");
        Directory.CreateDirectory(dir);
        try
        {
            string dataDir = Path.Combine(dir, "data");
            string imageFile = Path.Combine(dir, "fw.bin"), received = Path.Combine(dir, "received.bin");
            var image = Image(3000);
            await File.WriteAllBytesAsync(imageFile, image);
            string token = (await Cli(dataDir, "devices", "add", "Mesh Node")).StandardOutput.Trim();
            await Cli(dataDir, "firmware", "add", "--title", "meshfw", "--version", "1.0", "--file", imageFile, "--device", "Mesh Node");
            await using var gateway = await GatewayProcess.StartAsync(dataDir, $"--Coap:MaxBlockSize={maxBlockSize.ToString(CultureInfo.InvariantCulture)}");

            string[] block = clientBlockSize is null ? [] : ["-b", clientBlockSize];
            var result = await ProcessRunner.RunAsync(Peers.LibcoapClient,
                ["-v", "6", .. block, "-B", "60", "-o", received, $"coap://[::1]:{gateway.Port}/fw/{token}?title=meshfw&version=1.0"], TimeSpan.FromSeconds(90));

            Assert.True(result.ExitCode == 0, result.Describe());
            Assert.Contains("Block2:187/_/16", result.AllOutput, StringComparison.Ordinal); // 3000 bytes: blocks 0..187 of 16
            Assert.Equal(image, await File.ReadAllBytesAsync(received));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Theory]
    [InlineData(512, "32")]  // the client chooses 32-byte blocks
    [InlineData(32, "256")]  // the server asks for 32 in its first 2.31; the client goes on at the same offset (§2.5)
    public async Task Upload_In32ByteBlocks_IsByteExact(int serverBlockSize, string clientBlockSize)
    {
        byte[]? stored = null;
        var tree = new CoapServer();
        tree.Add("", new DelegateResource("upload").On(CoapCode.Put, r =>
        {
            stored = r.Payload.ToArray();
            return CoapResponse.Empty(CoapCode.Changed);
        }));
        using var endpoint = new CoapEndpoint(new UdpDatagramTransport(new IPEndPoint(IPAddress.IPv6Loopback, 0)), tree,
            new CoapEndpointOptions { PreferredBlockSize = serverBlockSize, ReceiveThreads = 1 });
        endpoint.Start();
        int port = ((IPEndPoint)endpoint.LocalEndPoint).Port;
        string file = Path.GetTempFileName();
        try
        {
            var body = Image(1000);
            await File.WriteAllBytesAsync(file, body);

            var result = await ProcessRunner.RunAsync(Peers.LibcoapClient,
                ["-v", "6", "-m", "put", "-b", clientBlockSize, "-B", "60", "-f", file, $"coap://[::1]:{port}/upload"], TimeSpan.FromSeconds(90));

            Assert.True(result.ExitCode == 0, result.Describe());
            Assert.Contains("Block1:31/_/32", result.AllOutput, StringComparison.Ordinal); // 1000 bytes: the last of 32-byte blocks 0..31
            Assert.Equal(body, stored);
        }
        finally
        {
            File.Delete(file);
        }
    }
}
