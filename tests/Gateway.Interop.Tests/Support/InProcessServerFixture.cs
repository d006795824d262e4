using System.Net;
using Gateway.Coap;
using Gateway.Coap.Messages;
using Gateway.Coap.Server;
using Gateway.Coap.Transport;

namespace Gateway.Interop.Tests.Support;

/// <summary>
/// Our server in this process over real UDP, with resources whose answers differ per method so a
/// peer's view of each code and payload can be checked. <c>/slow</c> outlasts the endpoint's
/// separate-response deadline, forcing the empty ACK + separate CON response path (RFC 7252 §5.2.2).
/// </summary>
public sealed class InProcessServerFixture : IDisposable
{
    public const string GetText = "hello from test";
    public const string SlowText = "slow but sure";
    public static readonly TimeSpan SlowDelay = TimeSpan.FromMilliseconds(1500);

    public InProcessServerFixture()
    {
        Server = new CoapServer();
        Server.Add("", new DelegateResource("test")
            .On(CoapCode.Get, _ => CoapResponse.Text(CoapCode.Content, GetText))
            .On(CoapCode.Post, r => CoapResponse.WithFormat(CoapCode.Created, r.Payload.ToArray(), r.ContentFormat ?? CoapContentFormat.TextPlain))
            .On(CoapCode.Put, r => CoapResponse.Text(CoapCode.Changed, "put:" + System.Text.Encoding.UTF8.GetString(r.Payload.Span)))
            .On(CoapCode.Delete, _ => CoapResponse.Empty(CoapCode.Deleted)));
        Server.Add("", new DelegateResource("slow")
            .On(CoapCode.Get, async (_, cancel) =>
            {
                await Task.Delay(SlowDelay, cancel);
                return CoapResponse.Text(CoapCode.Content, SlowText);
            }));
        var temperature = Server.Add("sensors", new DelegateResource("temp").On(CoapCode.Get, _ => CoapResponse.Text(CoapCode.Content, "21.5")));
        temperature.Attributes.ResourceTypes.Add("temperature-c");
        temperature.Attributes.Interfaces.Add("sensor");
        temperature.Attributes.ContentFormats.Add(CoapContentFormat.TextPlain);
        temperature.Attributes.Observable = true;
        var light = Server.Add("sensors", new DelegateResource("light").On(CoapCode.Get, _ => CoapResponse.Text(CoapCode.Content, "300")));
        light.Attributes.ResourceTypes.Add("light-lux");
        light.Attributes.Interfaces.Add("sensor");
        var config = Server.Add("", new DelegateResource("config").On(CoapCode.Get, _ => CoapResponse.Text(CoapCode.Content, "{}")));
        config.Attributes.ResourceTypes.Add("core.config");
        config.Attributes.Interfaces.Add("core.rp");

        // Port 0 here: the kernel picks a free port at bind time, so there is no race to tolerate.
        Endpoint = new CoapEndpoint(new UdpDatagramTransport(new IPEndPoint(IPAddress.IPv6Any, 0)), Server);
        Endpoint.Start();
        Port = ((IPEndPoint)Endpoint.LocalEndPoint).Port;
    }

    public CoapServer Server { get; }

    public CoapEndpoint Endpoint { get; }

    public int Port { get; }

    /// <summary>A coap:// URI of a path on this server over IPv4 loopback (the family both CLIs handle).</summary>
    public string Uri(string path) => $"coap://127.0.0.1:{Port}/{path.TrimStart('/')}";

    public void Dispose() => Endpoint.Dispose();
}
