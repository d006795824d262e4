using System.Text;
using Gateway.Interop.Tests.Support;

namespace Gateway.Interop.Tests;

/// <summary>Issue 4 against real peers: libcoap's coap-client-notls and npm coap-cli, observing and moving blocks.</summary>
public sealed class ObserveBlockwiseInteropTests(ObserveBlockwiseServerFixture server) : IClassFixture<ObserveBlockwiseServerFixture>
{
    private static Task<ProcessResult> Libcoap(TimeSpan timeout, params string[] arguments) =>
        ProcessRunner.RunAsync(Peers.LibcoapClient, arguments, timeout);

    private static long[] Numbers(string output) =>
        [.. output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Where(l => l.All(char.IsAsciiDigit) && l.Length > 0).Select(long.Parse)];

    [Fact]
    public async Task LibcoapObserve_ReceivesSeveralNotificationsInOrder()
    {
        var result = await Libcoap(TimeSpan.FromSeconds(20), "-s", "4", "-w", "-B", "8", server.Uri("counter"));
        var values = Numbers(result.StandardOutput);
        Assert.True(values.Length >= 5, result.Describe());
        Assert.True(values.Zip(values.Skip(1)).All(p => p.First < p.Second), result.Describe());
    }

    [Theory]
    [InlineData(64)]
    [InlineData(256)]
    [InlineData(1024)]
    public async Task LibcoapBlockwiseGet_Of100kB_IsByteIdentical(int blockSize)
    {
        var file = Path.GetTempFileName();
        try
        {
            var result = await Libcoap(TimeSpan.FromSeconds(60), "-b", blockSize.ToString(System.Globalization.CultureInfo.InvariantCulture),
                "-B", "50", "-o", file, server.Uri("large"));
            Assert.True(result.ExitCode == 0, result.Describe());
            Assert.Equal(ObserveBlockwiseServerFixture.LargeText, await File.ReadAllTextAsync(file));
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Theory]
    [InlineData("put", 64)]
    [InlineData("post", 256)]
    public async Task LibcoapBlockwiseUpload_Of20kB_ArrivesWhole(string method, int blockSize)
    {
        var body = Encoding.ASCII.GetBytes(string.Concat(Enumerable.Range(0, 2000).Select(i => $"{method}{i:D6}".PadRight(10, '.'))));
        Assert.Equal(20_000, body.Length);
        var file = Path.GetTempFileName();
        try
        {
            await File.WriteAllBytesAsync(file, body);
            var result = await Libcoap(TimeSpan.FromSeconds(60), "-m", method, "-b", blockSize.ToString(System.Globalization.CultureInfo.InvariantCulture),
                "-B", "50", "-f", file, server.Uri("upload"));
            Assert.True(result.ExitCode == 0, result.Describe());
            Assert.Contains("received 20000", result.StandardOutput, StringComparison.Ordinal);
            Assert.Equal(body, server.LastUpload);
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact]
    public async Task CoapCliObserve_PrintsChangingValues()
    {
        // The CLI observes until killed: bound it and read what it printed meanwhile. Node's start-up takes
        // seconds of that on a loaded machine (a fresh clone's CI run saw only 2 values in 3 s), so 8 s.
        var result = await ProcessRunner.RunAsync(Peers.CoapCli, ["get", "-o", server.Uri("counter")], TimeSpan.FromSeconds(8));
        var values = Numbers(CoapCli.StripAnsi(result.StandardOutput));
        Assert.True(values.Distinct().Count() >= 3, result.Describe());
        // Never backwards. A value may come twice: a change that raced the registration is notified again after
        // the registration's own response (issue 24); RFC 7641 §3.4 orders notifications by Observe number, not content.
        Assert.True(values.Zip(values.Skip(1)).All(p => p.First <= p.Second), result.Describe());
    }

    [Fact]
    public async Task CoapCliBlock2Get_ReturnsTheWholeBody()
    {
        // -n: the CLI otherwise appends a newline to every 16 KiB stream chunk it prints.
        var result = await ProcessRunner.RunAsync(Peers.CoapCli, ["get", "-n", "-b", "2", server.Uri("large")], TimeSpan.FromSeconds(60));
        Assert.True(CoapCli.Code(result) == "2.05", result.Describe());
        Assert.Equal(ObserveBlockwiseServerFixture.LargeText, CoapCli.StripAnsi(result.StandardOutput));
    }
}
