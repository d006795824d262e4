using System.Text;
using Gateway.Coap.Codec;
using Gateway.Coap.Messages;
using Gateway.Coap.Server;

namespace Gateway.Coap.Tests.Endpoint;

/// <summary>
/// Issue 20.9: a diagnostic payload (RFC 7252 §5.5.2) is sent whole or not at all under the amplification limit
/// (§11.3, 3× the request), and the stack's own diagnostics are short enough to arrive whole even for the smallest
/// request that can provoke them. The expected texts are spelled out here on purpose: changing one is a visible decision.
/// </summary>
public class DiagnosticPayloadTests
{
    /// <summary>The smallest malformed (or 4.02) CON request after the token, and the exact diagnostic it gets.</summary>
    public static TheoryData<string, string, int> SmallestRequests() => new()
    {
        { "0f", "nibble 15", 0x80 },                  // option delta 0, length nibble 15 (§3.1)
        { "01", "option cut", 0x80 },                 // option of length 1 with no value byte (§3.1)
        { "d0", "option cut", 0x80 },                 // delta 13 without its extended byte (§3.1)
        { "e0fef3", "option > 65535", 0x80 },         // delta 269 + 65267 = 65536 (§3.1)
        { "ff", "no payload", 0x80 },                 // payload marker and nothing after it (§3)
        { "9101", "option 9", 0x82 },                 // unrecognised critical option 9 (§5.4.1)
        { "d000", "option 13", 0x82 },                // the first number that needs an extended delta
        { "e0fef2", "option 65535", 0x82 },           // the largest option number (delta 269 + 65266)
        { "30", "option 3", 0x82 },                   // Uri-Host of length 0, below its minimum of 1 (§5.4.3)
    };

    [Theory]
    [MemberData(nameof(SmallestRequests))]
    public void SmallestRequest_GetsItsWholeDiagnostic_ForEveryTokenLength(string afterToken, string diagnostic, int code)
    {
        using var h = new EndpointHarness(new ScriptedHandler());
        for (int tokenLength = 0; tokenLength <= 8; tokenLength++)
        {
            var request = Convert.FromHexString($"4{tokenLength:x}01{0x1000 + tokenLength:x4}{new string('a', 2 * tokenLength)}{afterToken}");
            h.Send(request);
            var bytes = h.ExpectBytes();
            Assert.True(bytes.Length <= 3 * request.Length, $"TKL {tokenLength}: {bytes.Length} bytes answered {request.Length}");
            Assert.True(CoapCodec.TryDecode(bytes, out var reply, out _));
            Assert.Equal(((byte)code, new string('a', 2 * tokenLength)), (reply.Code.Value, Hex.Of(reply.Token.Span)));
            Assert.Equal(diagnostic, Encoding.UTF8.GetString(reply.Payload.Span));
        }
    }

    [Fact]
    public void HandlerDiagnostic_IsSentWholeExactlyWhenItFits_NeverAPrefix()
    {
        string text = "";
        var handler = new ScriptedHandler { Respond = _ => new(CoapResponse.Error(CoapCode.BadRequest, text)) };
        using var h = new EndpointHarness(handler);
        int requestLength = CoapCodec.Encode(EndpointHarness.Get(0, "abcdefg", [0x42])).Length; // 4 + 1 + 8 bytes: 39 may come back
        int sent = 0;
        for (int length = 1; length <= 60; length++)
        {
            // Multi-byte characters too, so a cut would have had to choose a character boundary.
            text = string.Concat(Enumerable.Range(0, length).Select(i => i % 3 == 0 ? 'é' : 'x'));
            h.Send(EndpointHarness.Get((ushort)length, "abcdefg", [0x42]));
            var bytes = h.ExpectBytes();
            Assert.True(CoapCodec.TryDecode(bytes, out var reply, out _));
            Assert.Equal(CoapCode.BadRequest, reply.Code);
            bool fits = 4 + 1 + 1 + Encoding.UTF8.GetByteCount(text) <= 3 * requestLength;
            Assert.Equal(fits ? text : "", Encoding.UTF8.GetString(reply.Payload.Span));
            Assert.True(bytes.Length <= 3 * requestLength);
            if (fits) sent++;
        }
        Assert.InRange(sent, 10, 59); // both outcomes were exercised
    }

    [Fact]
    public void ReservedSzx_DiagnosticFitsASmallRequest()
    {
        using var h = new EndpointHarness(new ScriptedHandler());
        // GET /a with Block2 NUM 0 SZX 7 and no token: 4 + 2 + 2 = 8 bytes, 24 may come back.
        var request = CoapCodec.Encode(EndpointHarness.Get(7, "a", [], extra: new CoapOption(CoapOptionNumber.Block2, new byte[] { 0x07 })));
        Assert.Equal(8, request.Length);
        h.Send(request);
        var reply = h.Expect();
        Assert.Equal((CoapCode.BadRequest, "reserved SZX"), (reply.Code, Encoding.UTF8.GetString(reply.Payload.Span)));
    }
}
