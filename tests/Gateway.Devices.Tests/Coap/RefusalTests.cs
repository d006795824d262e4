using Gateway.Coap.Messages;
using Gateway.Devices.Tests.Support;

namespace Gateway.Devices.Tests.Coap;

/// <summary>Storage refusing a write is 5.03 with Max-Age = the store's retry hint, never 2.01 (DESIGN.md, reliability.md §1.6 point 4).</summary>
public sealed class RefusalTests
{
    [Fact]
    public async Task FullQueue_Answers503WithMaxAge()
    {
        // Connect rows are never dropped: a queue too small for anything refuses the device's first contact.
        using var gateway = new Support.Gateway(storage: o => { o.MaxQueueBytes = 1; o.RefusalRetryAfter = TimeSpan.FromSeconds(42); });
        using var device = new CoapDevice(gateway.Server);
        var token = await gateway.AddDeviceAsync("Dev A");

        var response = await device.PostAsync($"api/v1/{token}/telemetry", """{"a":1}""");

        Assert.Equal("5.03", Answer.Code(response));
        Assert.Equal(42u, Answer.Option(response, CoapOptionNumber.MaxAge));
        Assert.Empty(await gateway.RowsAsync());
    }
}
