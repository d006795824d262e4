using System.Net;
using System.Net.Sockets;
using Gateway.Coap.Codec;
using Gateway.Coap.Messages;
using Gateway.Interop.Tests.Support;

namespace Gateway.Interop.Tests;

/// <summary>
/// Garbage over real UDP must never stop the gateway (DESIGN.md: bad input "never crashes the
/// process"): a fixed-seed stream of mutated and random datagrams, then a normal request.
/// </summary>
public sealed class RobustnessTests(GatewayProcessFixture fixture) : IClassFixture<GatewayProcessFixture>
{
    private const int Datagrams = 10_000;

    [Fact]
    public async Task TenThousandMutatedDatagrams_GatewayStaysUpAndAnswers()
    {
        var gateway = fixture.Gateway;
        var random = new Random(20240602); // fixed seed: a failure reproduces
        var seeds = SeedMessages();
        using (var socket = new Socket(AddressFamily.InterNetworkV6, SocketType.Dgram, ProtocolType.Udp) { DualMode = true })
        {
            socket.Bind(new IPEndPoint(IPAddress.IPv6Any, 0));
            EndPoint[] targets = [gateway.IPv6EndPoint, new IPEndPoint(IPAddress.Loopback.MapToIPv6(), gateway.Port)];
            for (int i = 0; i < Datagrams; i++)
            {
                byte[] datagram = Mutate(seeds[random.Next(seeds.Length)], random);
                socket.SendTo(datagram, targets[i & 1]);
                // Short pauses let the gateway process the stream instead of the kernel dropping most of it.
                if (i % 500 == 499) await Task.Delay(5);
            }
        }

        Assert.False(gateway.HasExited, $"the gateway exited after the garbage\n{gateway.Output}");
        var (result, responses) = await LibcoapClient.TraceAsync("-m", "get", $"coap://[::1]:{gateway.Port}/.well-known/core");
        Assert.True(responses is [{ Code: "2.05" }, ..], result.Describe() + "\n" + gateway.Output);
        Assert.False(gateway.HasExited);
        // Errors logged by the endpoint mean an exception escaped a handler or the datagram pipeline: a bug even if survived.
        Assert.True(!gateway.Output.Contains("fail:", StringComparison.Ordinal), gateway.Output);
        Assert.DoesNotContain("crit:", gateway.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ConResponseReusingTheMessageIdOfAnAnsweredRequest_GetsTheCachedAckReplayed()
    {
        // §4.5: Message IDs are per peer, not per direction, so a CON response with the Message ID of
        // a request we already answered is a duplicate and gets the same reply again. The cached reply
        // is a piggybacked response, larger than an empty ACK; this once threw inside the endpoint.
        var gateway = fixture.Gateway;
        using var socket = new Socket(AddressFamily.InterNetworkV6, SocketType.Dgram, ProtocolType.Udp) { DualMode = true };
        socket.Bind(new IPEndPoint(IPAddress.IPv6Any, 0));
        var path = new[] { CoapOption.FromString(CoapOptionNumber.UriPath, ".well-known"), CoapOption.FromString(CoapOptionNumber.UriPath, "core") };
        byte[] request = CoapCodec.Encode(new CoapMessage(CoapMessageType.Confirmable, CoapCode.Get, 0x4242, new byte[] { 9, 9 }, path));
        byte[] strayResponse = CoapCodec.Encode(new CoapMessage(CoapMessageType.Confirmable, CoapCode.Content, 0x4242, new byte[] { 7 }, null, "x"u8.ToArray()));

        await socket.SendToAsync(request, gateway.IPv6EndPoint);
        byte[] first = await ReceiveAsync(socket);
        await socket.SendToAsync(strayResponse, gateway.IPv6EndPoint);
        byte[] second = await ReceiveAsync(socket);

        Assert.Equal(Convert.ToHexString(first), Convert.ToHexString(second));
        Assert.True(!gateway.Output.Contains("fail:", StringComparison.Ordinal), gateway.Output);
    }

    private static async Task<byte[]> ReceiveAsync(Socket socket)
    {
        var buffer = new byte[1500];
        using var limit = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        int length = await socket.ReceiveAsync(buffer, SocketFlags.None, limit.Token);
        return buffer[..length];
    }

    private static byte[][] SeedMessages()
    {
        var path = new[] { CoapOption.FromString(CoapOptionNumber.UriPath, ".well-known"), CoapOption.FromString(CoapOptionNumber.UriPath, "core") };
        byte[] token = [1, 2, 3, 4, 5, 6, 7, 8];
        return
        [
            CoapCodec.Encode(new CoapMessage(CoapMessageType.Confirmable, CoapCode.Get, 0x1000, token, path)),
            CoapCodec.Encode(new CoapMessage(CoapMessageType.NonConfirmable, CoapCode.Get, 0x1001, token.AsMemory(0, 2), path)),
            CoapCodec.Encode(new CoapMessage(CoapMessageType.Confirmable, CoapCode.Post, 0x1002, token.AsMemory(0, 4),
                [CoapOption.FromString(CoapOptionNumber.UriPath, "api"), CoapOption.FromUInt(CoapOptionNumber.ContentFormat, 50),
                 CoapOption.FromUInt(CoapOptionNumber.Block1, 0x0E), CoapOption.FromString(CoapOptionNumber.UriQuery, "a=b")],
                "{\"t\":1}"u8.ToArray())),
            CoapCodec.Encode(new CoapMessage(CoapMessageType.Confirmable, CoapCode.Get, 0x1003, token,
                [.. path, CoapOption.FromUInt(CoapOptionNumber.Accept, 40), CoapOption.FromUInt(CoapOptionNumber.Block2, 0x16), CoapOption.FromUInt(CoapOptionNumber.Size2, 0)])),
            CoapCodec.Encode(new CoapMessage(CoapMessageType.Confirmable, CoapCode.Empty, 0x1004, default)),          // ping
            CoapCodec.Encode(new CoapMessage(CoapMessageType.Acknowledgement, CoapCode.Content, 0x1005, token, path)), // stray response
            CoapCodec.Encode(new CoapMessage(CoapMessageType.Reset, CoapCode.Empty, 0x1006, default)),
        ];
    }

    private static byte[] Mutate(byte[] seed, Random random)
    {
        switch (random.Next(6))
        {
            case 0: // entirely random bytes, sometimes starting with a plausible version-1 header
            {
                var bytes = new byte[random.Next(0, 64)];
                random.NextBytes(bytes);
                if (bytes.Length > 0 && random.Next(2) == 0) bytes[0] = (byte)(0x40 | (bytes[0] & 0x3F));
                return bytes;
            }
            case 1: // truncated
                return seed[..random.Next(0, seed.Length)];
            case 2: // random trailing bytes (options or payload that run off the end)
            {
                var tail = new byte[random.Next(1, 32)];
                random.NextBytes(tail);
                return [.. seed, .. tail];
            }
            case 3: // reserved nibbles: option delta/length 13, 14 or the reserved 15, token length > 8
            {
                var bytes = (byte[])seed.Clone();
                int at = random.Next(0, bytes.Length);
                bytes[at] = at == 0 ? (byte)(0x40 | (bytes[0] & 0x30) | random.Next(9, 16)) : (byte)((random.Next(13, 16) << 4) | random.Next(13, 16));
                return bytes;
            }
            default: // a few flipped bits anywhere
            {
                var bytes = (byte[])seed.Clone();
                for (int flips = random.Next(1, 5); flips > 0; flips--) bytes[random.Next(bytes.Length)] ^= (byte)(1 << random.Next(8));
                return bytes;
            }
        }
    }
}
