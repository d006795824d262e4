using System.Diagnostics;
using System.Net;
using Gateway.Coap;
using Gateway.Coap.Transport;
using Gateway.Storage.Outbox;

namespace Gateway.Devices.Tests.Interop;

/// <summary>
/// libcoap's <c>coap-client-notls</c> as the device against an in-process endpoint over real UDP with
/// the ThingsBoard resources and real SQLite (issue 7, "what must be shown"). The mosquitto leg waits for the bridge.
/// </summary>
public sealed class LibcoapTelemetryTests
{
    private const string Client = "/usr/bin/coap-client-notls";

    [Fact]
    public async Task SeedTelemetryObject_Posted_BecomesOutboxRowWithExactJson()
    {
        if (!File.Exists(Client)) Assert.Fail($"{Client} missing (apt-get install libcoap3-bin)");
        using var gateway = new Support.Gateway();
        var token = await gateway.AddDeviceAsync("Dev A", "LIBCOAP_TOKEN_1");
        var transport = new UdpDatagramTransport(new IPEndPoint(IPAddress.Loopback, 0));
        using var endpoint = new CoapEndpoint(transport, gateway.Server); // owns and disposes the transport
        endpoint.Start();
        int port = ((IPEndPoint)endpoint.LocalEndPoint).Port;

        var (exit, output) = await RunAsync("-B", "5", "-m", "post", "-t", "50", "-e", """{"temperature":25,"humidity":"60.5"}""",
            $"coap://127.0.0.1:{port}/api/v1/{token}/telemetry");

        Assert.True(exit == 0 && !output.Contains("4.", StringComparison.Ordinal), output);
        Assert.Equal(
        [
            """DeviceConnect Dev A {"type":"default"}""",
            """Telemetry Dev A [{"ts":1700000000000,"values":{"temperature":25,"humidity":60.5}}]""",
        ], await gateway.RowTextsAsync());

        var (_, denied) = await RunAsync("-B", "5", "-m", "post", "-e", "{}", $"coap://127.0.0.1:{port}/api/v1/WRONG/telemetry");
        Assert.Contains("4.01", denied, StringComparison.Ordinal);
        Assert.Single(await gateway.RowTextsAsync(OutboxMessageKind.Telemetry));
    }

    private static async Task<(int Exit, string Output)> RunAsync(params string[] arguments)
    {
        var start = new ProcessStartInfo(Client) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in arguments) start.ArgumentList.Add(argument);
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var limit = new CancellationTokenSource(TimeSpan.FromSeconds(15));
        try
        {
            await process.WaitForExitAsync(limit.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            return (-1, "timed out");
        }
        return (process.ExitCode, await stdout + await stderr);
    }
}
