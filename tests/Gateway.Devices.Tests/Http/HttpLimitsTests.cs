using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Gateway.Devices.Tests.Http;

/// <summary>Storage refusal (503 + Retry-After, never 200) and the request deadline (408 for a body that never ends).</summary>
public sealed class HttpLimitsTests
{
    [Fact]
    public async Task FullQueue_Answers503WithRetryAfter_NoRow()
    {
        using var gateway = new Support.Gateway(storage: o => { o.MaxQueueBytes = 1; o.RefusalRetryAfter = TimeSpan.FromSeconds(42); });
        await using var host = await HttpHost.StartAsync(gateway);
        var token = await gateway.AddDeviceAsync("Dev A");

        var response = await host.Client.PostAsync($"/api/v1/{token}/telemetry", new StringContent("""{"a":1}"""));

        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.Equal(TimeSpan.FromSeconds(42), response.Headers.RetryAfter?.Delta);
        Assert.Equal("""{"error":"Service unavailable, retry later."}""", await response.Content.ReadAsStringAsync());
        Assert.Empty(await gateway.RowsAsync());
    }

    [Fact]
    public async Task BodyThatNeverEnds_Answers408AtTheDeadline()
    {
        using var gateway = new Support.Gateway();
        await using var host = await HttpHost.StartAsync(gateway, o => o.RequestTimeout = TimeSpan.FromSeconds(3));
        var token = await gateway.AddDeviceAsync("Dev A");
        using var tcp = new TcpClient();
        await tcp.ConnectAsync(IPAddress.Loopback, host.BaseAddress.Port);
        var stream = tcp.GetStream();
        await stream.WriteAsync(Encoding.ASCII.GetBytes($"POST /api/v1/{token}/telemetry HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{{\"a\":"));
        await Task.Delay(300); // the handler is reading the body now

        gateway.Time.Advance(TimeSpan.FromSeconds(3));

        var buffer = new byte[1024];
        int read = await stream.ReadAsync(buffer).AsTask().WaitAsync(TimeSpan.FromSeconds(10));
        Assert.StartsWith("HTTP/1.1 408", Encoding.ASCII.GetString(buffer, 0, read));
        Assert.Empty((await gateway.RowTextsAsync(Storage.Outbox.OutboxMessageKind.Telemetry)));
    }
}
