using System.Diagnostics;
using System.Net;
using Gateway.Coap;
using Gateway.Coap.Transport;

namespace Gateway.Devices.Tests.Exosite;

/// <summary>
/// libcoap's <c>coap-client-notls</c> against the Exosite resources on a real UDP socket (issue 8 interop):
/// write, read, observe, activate, list, info, download (byte-identical at several block sizes), /ts.
/// libcoap puts <c>?&lt;CIK&gt;</c> into one Uri-Query option, as the Exosite clients do. Skipped when the
/// client is not installed.
/// </summary>
public sealed class LibcoapInteropTests : IDisposable
{
    private const string Client = "/usr/bin/coap-client-notls";
    private readonly ExositeGateway _gateway = new(time: TimeProvider.System);
    private readonly CoapEndpoint _endpoint;
    private readonly string _base;

    public LibcoapInteropTests()
    {
        var transport = new UdpDatagramTransport(new IPEndPoint(IPAddress.Loopback, 0));
        _endpoint = new CoapEndpoint(transport, _gateway.Server, new CoapEndpointOptions { ReceiveThreads = 1 });
        _endpoint.Start();
        _base = $"coap://127.0.0.1:{((IPEndPoint)transport.LocalEndPoint).Port}";
    }

    public void Dispose()
    {
        _endpoint.Dispose();
        _gateway.Dispose();
    }

    private static async Task<(string Out, string Err)> Run(params string[] arguments)
    {
        var info = new ProcessStartInfo(Client) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in (string[])["-B", "5", .. arguments]) info.ArgumentList.Add(a);
        using var process = Process.Start(info)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(20));
        return (await output, await error);
    }

    [Fact]
    public async Task Activate_Write_Read_Observe_Content_Ts()
    {
        if (!File.Exists(Client)) return;
        await _gateway.Devices.AddAsync(new Storage.Devices.NewDevice("Exo L") { Vendor = "acme", Model = "sensor", Serial = "L1" });

        var (printed, _) = await Run("-m", "post", $"{_base}/provision/activate/acme/sensor/L1");
        var cik = printed.TrimEnd('\n'); // the client adds a newline after the payload
        Assert.Matches("^[0-9a-f]{40}\\z", cik);
        var (_, again) = await Run("-m", "post", $"{_base}/provision/activate/acme/sensor/L1");
        Assert.Contains("4.04", again);

        var write = await Run("-m", "post", "-e", "21.5", $"{_base}/1a/temp?{cik}");
        Assert.Equal(("", ""), write);
        Assert.Equal("21.5\n", (await Run("-m", "get", $"{_base}/1a/temp?{cik}")).Out);
        Assert.Contains("4.01", (await Run("-m", "get", $"{_base}/1a/temp?{new string('0', 40)}")).Err);

        // Observe for 3 s: the first value, then the value a second client writes.
        // Its own source address: libcoap binds port 0 with SO_REUSEADDR, and Linux may give the writer the same port.
        var observe = Run("-a", "127.0.2.1", "-m", "get", "-s", "3", $"{_base}/1a/led?{cik}");
        await Task.Delay(800);
        await Run("-m", "post", "-e", "on", $"{_base}/1a/led?{cik}");
        var observed = (await observe).Out;
        Assert.Contains("on", observed);

        var body = new byte[5000];
        new Random(3).NextBytes(body);
        await _gateway.AddContentAsync("acme", "sensor", "fw.bin", body, meta: "m");
        Assert.Equal("fw.bin\n", (await Run("-m", "get", $"{_base}/provision/download/acme/sensor?{cik}")).Out);
        Assert.StartsWith("application/octet-stream,5000,", (await Run("-m", "get", $"{_base}/provision/download/acme/sensor/fw.bin/info?{cik}")).Out);
        foreach (var size in new[] { "16", "128", "512" })
        {
            var file = Path.GetTempFileName();
            try
            {
                await Run("-m", "get", "-b", size, "-o", file, $"{_base}/provision/download/acme/sensor/fw.bin?{cik}");
                Assert.Equal(body, await File.ReadAllBytesAsync(file));
            }
            finally
            {
                File.Delete(file);
            }
        }

        var ts = long.Parse((await Run("-m", "get", $"{_base}/ts")).Out, System.Globalization.CultureInfo.InvariantCulture);
        Assert.InRange(ts, DateTimeOffset.UtcNow.ToUnixTimeSeconds() - 5, DateTimeOffset.UtcNow.ToUnixTimeSeconds() + 5);
    }
}
