using System.Buffers.Binary;
using Gateway.Coap.Messages;
using Gateway.Devices.Tests.Support;
using static Gateway.Devices.Tests.Exosite.ExositeRequests;

namespace Gateway.Devices.Tests.Exosite;

/// <summary>Activation, content list/info/download and <c>/ts</c> (peers.md §A.1) over the in-memory transport, real SQLite.</summary>
public sealed class ProvisioningEndpointTests : IDisposable
{
    private readonly ExositeGateway _gateway = new();
    private readonly CoapDevice _device;
    private ushort _mid = 0x200;

    public ProvisioningEndpointTests() => _device = new CoapDevice(_gateway.Server);

    public void Dispose()
    {
        _device.Dispose();
        _gateway.Dispose();
    }

    private Task<CoapMessage> Send(CoapCode method, string path, byte[][] queries, params CoapOption[] extra) =>
        _device.SendAsync(Build(method, path, ++_mid, queries, extra: extra));

    [Fact]
    public async Task Activate_Answers205WithThe40CharCik_ThenTheCikWorks_SecondActivation404()
    {
        await _gateway.Devices.AddAsync(new Storage.Devices.NewDevice("Exo 9") { Vendor = "acme", Model = "sensor", Serial = "SN-9" });

        var response = await Send(CoapCode.Post, "provision/activate/acme/sensor/SN-9", []);

        Assert.Equal("2.05", Answer.Code(response));
        Assert.Matches("^[0-9a-f]{40}$", Answer.Text(response));
        Assert.Equal("2.04", Answer.Code(await Send(CoapCode.Post, "1a/x", [Text(Answer.Text(response))])));
        Assert.Equal("4.04", Answer.Code(await Send(CoapCode.Post, "provision/activate/acme/sensor/SN-9", [])));
        Assert.Equal("4.04", Answer.Code(await Send(CoapCode.Post, "provision/activate/acme/sensor/unknown", [])));
        Assert.Equal("4.04", Answer.Code(await Send(CoapCode.Post, "provision/activate/acme/other/SN-9", [])));
    }

    [Fact]
    public async Task ListContent_NewlineSeparated_OwnModelOnly_401_404()
    {
        var cik = await _gateway.ActivatedDeviceAsync();
        Assert.Equal("4.04", Answer.Code(await Send(CoapCode.Get, "provision/download/acme/sensor", [Text(cik)])));
        await _gateway.AddContentAsync("acme", "sensor", "fw.bin", [1, 2, 3]);
        await _gateway.AddContentAsync("acme", "sensor", "config.json", "{}"u8.ToArray(), "application/json");
        await _gateway.AddContentAsync("acme", "other", "secret", [9]);

        var response = await Send(CoapCode.Get, "provision/download/acme/sensor", [Binary(cik)]);

        Assert.Equal("2.05", Answer.Code(response));
        Assert.Equal("config.json\nfw.bin", Answer.Text(response));
        Assert.Equal("4.04", Answer.Code(await Send(CoapCode.Get, "provision/download/acme/other", [Text(cik)])));
        Assert.Equal("4.01", Answer.Code(await Send(CoapCode.Get, "provision/download/acme/sensor", [Text(new string('0', 40))])));
    }

    [Fact]
    public async Task ContentInfo_TypeSizeUpdatedMeta()
    {
        var cik = await _gateway.ActivatedDeviceAsync();
        await _gateway.AddContentAsync("acme", "sensor", "fw.bin", new byte[1000], meta: "v1.2");
        await _gateway.AddContentAsync("acme", "sensor", "plain", [1]);

        var response = await Send(CoapCode.Get, "provision/download/acme/sensor/fw.bin/info", [Text(cik)]);

        Assert.Equal("2.05", Answer.Code(response));
        Assert.Equal("application/octet-stream,1000,1700000000,v1.2", Answer.Text(response));
        Assert.Equal("application/octet-stream,1,1700000000,", Answer.Text(await Send(CoapCode.Get, "provision/download/acme/sensor/plain/info", [Text(cik)])));
        Assert.Equal("4.04", Answer.Code(await Send(CoapCode.Get, "provision/download/acme/sensor/none/info", [Text(cik)])));
        Assert.Equal("4.01", Answer.Code(await Send(CoapCode.Get, "provision/download/acme/sensor/fw.bin/info", [])));
    }

    [Theory]
    [InlineData(0)] // 16-byte blocks
    [InlineData(3)] // 128, the doc's example (block2: 0/0/128)
    [InlineData(6)] // 1024 asked, the server's preferred size answered
    public async Task Download_Block2Loop_ByteIdentical(int szx)
    {
        var cik = await _gateway.ActivatedDeviceAsync();
        var body = new byte[3000];
        new Random(8).NextBytes(body);
        await _gateway.AddContentAsync("acme", "sensor", "fw.bin", body);

        var received = new List<byte>();
        uint size = (uint)szx;
        for (uint num = 0; ; num++)
        {
            var response = await Send(CoapCode.Get, "provision/download/acme/sensor/fw.bin", [Text(cik)],
                CoapOption.FromUInt(CoapOptionNumber.Block2, (num << 4) | size));
            Assert.Equal("2.05", Answer.Code(response));
            Assert.Equal(42u, Answer.Option(response, CoapOptionNumber.ContentFormat));
            uint block2 = Answer.Option(response, CoapOptionNumber.Block2)!.Value;
            Assert.Equal(num, block2 >> 4);
            Assert.True((block2 & 7) <= (uint)szx); // RFC 7959 §2.4: the server may pick a smaller size; the client follows it
            if (num == 0) size = block2 & 7;
            Assert.Equal(size, block2 & 7);
            received.AddRange(response.Payload.ToArray());
            if ((block2 & 8) == 0) break;
        }
        Assert.Equal(body, received.ToArray());
    }

    [Fact]
    public async Task Download_UnknownId404_Unauthorized401()
    {
        var cik = await _gateway.ActivatedDeviceAsync();
        Assert.Equal("4.04", Answer.Code(await Send(CoapCode.Get, "provision/download/acme/sensor/none", [Text(cik)])));
        Assert.Equal("4.01", Answer.Code(await Send(CoapCode.Get, "provision/download/acme/sensor/none", [Text("nope")])));
    }

    [Fact]
    public async Task Timestamp_TextByDefault_BigEndianInt32WithContentFormat42()
    {
        var text = await Send(CoapCode.Get, "ts", []);
        Assert.Equal("2.05", Answer.Code(text));
        Assert.Equal("1700000000", Answer.Text(text));

        var binary = await Send(CoapCode.Get, "ts", [], CoapOption.FromUInt(CoapOptionNumber.ContentFormat, 42));
        Assert.Equal("6553f100", Convert.ToHexStringLower(binary.Payload.Span));
        Assert.Equal(1_700_000_000, BinaryPrimitives.ReadInt32BigEndian(binary.Payload.Span));
    }
}
