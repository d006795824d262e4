using Gateway.Coap.Messages;
using Gateway.Coap.Server;
using Gateway.Coap.Transport;
using Gateway.Devices.Coap;
using Gateway.Devices.ThingsBoard;

namespace Gateway.Devices.Tests.Coap;

public class CoapResultsTests
{
    private static readonly CoapRequest Request = CoapRequest.Create(CoapCode.Post,
        PeerAddress.From(new System.Net.IPEndPoint(System.Net.IPAddress.Loopback, 1)), []);

    [Fact]
    public void Silent_IsNoResponseAtAll() =>
        Assert.Same(CoapResponse.NoResponse, CoapResults.ToCoap(DeviceApiResult.Silent, Request));   // reliability.md S6

    [Fact]
    public void Unauthorized_Is401WithoutPayload()
    {
        var response = CoapResults.ToCoap(DeviceApiResult.Unauthorized, Request);
        Assert.Equal(CoapCode.Unauthorized, response.Code);
        Assert.True(response.Payload.IsEmpty);
    }

    [Fact]
    public void Refused_Is503WithMaxAgeRoundedUp()
    {
        var response = CoapResults.ToCoap(DeviceApiResult.Refused(TimeSpan.FromSeconds(29.2)), Request);
        Assert.Equal(CoapCode.ServiceUnavailable, response.Code);
        Assert.Equal(30u, response.MaxAge);
    }
}
