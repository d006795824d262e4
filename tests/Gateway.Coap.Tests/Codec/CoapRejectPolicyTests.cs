using Gateway.Coap.Codec;
using Gateway.Coap.Messages;

namespace Gateway.Coap.Tests.Codec;

public class CoapRejectPolicyTests
{
    [Theory]
    [InlineData("40 01", CoapRejectAction.Ignore)]                     // no header: nothing to answer (§3)
    [InlineData("80 01 7d34", CoapRejectAction.Ignore)]                // unknown version: silently ignore (§3)
    [InlineData("49 01 7d34 00", CoapRejectAction.Reset)]              // CON, TKL 9: format error → RST (§4.2)
    [InlineData("59 01 7d34 00", CoapRejectAction.Ignore)]             // NON, TKL 9: rejected silently (§4.3)
    [InlineData("41 00 7d34 20", CoapRejectAction.Reset)]              // CON Empty with a token (§4.1)
    [InlineData("40 01 7d34 0f", CoapRejectAction.BadRequest)]         // CON GET, bad option: 4.00 echoing the token
    [InlineData("40 01 7d34 ff", CoapRejectAction.BadRequest)]         // CON GET, marker without payload
    [InlineData("50 01 7d34 0f", CoapRejectAction.Ignore)]             // NON GET, bad option
    [InlineData("60 45 7d34 0f", CoapRejectAction.Ignore)]             // ACK with a malformed response
    [InlineData("70 00 7d34 ff00", CoapRejectAction.Ignore)]           // RST carrying bytes
    [InlineData("40 45 7d34 0f", CoapRejectAction.Reset)]              // CON *response* malformed → RST
    [InlineData("44 01 7d34 01", CoapRejectAction.Reset)]              // CON with truncated token
    public void Decide_MapsDecodeErrorsToTheRfcReaction(string hex, CoapRejectAction expected)
    {
        Assert.False(CoapCodec.TryDecode(Hex.Bytes(hex), out _, out var error));
        Assert.Equal(expected, CoapRejectPolicy.Decide(error));
    }

    [Theory]
    // §5.4.1: unknown critical option 9 in a CON request → 4.02; in a CON response → RST; in a NON → silence.
    [InlineData(CoapMessageType.Confirmable, 1, 9, CoapRejectAction.BadOption)]
    [InlineData(CoapMessageType.Confirmable, 0x45, 9, CoapRejectAction.Reset)]
    [InlineData(CoapMessageType.NonConfirmable, 1, 9, CoapRejectAction.Ignore)]
    // Unknown elective option 10 is silently ignored (§5.4.1).
    [InlineData(CoapMessageType.Confirmable, 1, 10, CoapRejectAction.Accept)]
    public void DecideOptions_UnknownOption(CoapMessageType type, byte code, int option, CoapRejectAction expected)
    {
        var message = new CoapMessage(type, new CoapCode(code), 1, default, [new CoapOption((ushort)option, new byte[] { 1 })]);
        Assert.Equal(expected, CoapRejectPolicy.DecideOptions(message, out ushort offending));
        Assert.Equal(expected == CoapRejectAction.Accept ? 0 : option, offending);
    }

    [Fact]
    public void FindUnprocessableCriticalOption_LengthOutOfBounds_IsLikeUnrecognised()
    {
        // §5.4.3: Uri-Host (critical) must be 1..255 bytes; an empty one is treated as unrecognised.
        Assert.Equal(CoapOptionNumber.UriHost, CoapRejectPolicy.FindUnprocessableCriticalOption([CoapOption.Empty(CoapOptionNumber.UriHost)]));
        // An out-of-bounds *elective* option (Content-Format with 3 bytes) is not a reason to reject.
        Assert.Equal(0, CoapRejectPolicy.FindUnprocessableCriticalOption([new CoapOption(CoapOptionNumber.ContentFormat, new byte[3])]));
    }

    [Fact]
    public void FindUnprocessableCriticalOption_RepeatedNonRepeatableCritical_IsRejected()
    {
        // §5.4.5: a supernumerary occurrence of a non-repeatable option is treated as unrecognised.
        var accept = CoapOption.FromUInt(CoapOptionNumber.Accept, 50);
        Assert.Equal(CoapOptionNumber.Accept, CoapRejectPolicy.FindUnprocessableCriticalOption([accept, accept]));
        var path = CoapOption.FromString(CoapOptionNumber.UriPath, "a");
        Assert.Equal(0, CoapRejectPolicy.FindUnprocessableCriticalOption([path, path]));
    }
}
