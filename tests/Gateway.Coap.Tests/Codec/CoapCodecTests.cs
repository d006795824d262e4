using System.Text;
using Gateway.Coap.Codec;
using Gateway.Coap.Messages;

namespace Gateway.Coap.Tests.Codec;

public class CoapCodecTests
{
    // RFC 7252 Appendix A, Figure 16: CON GET /temperature, MID 0x7d34, no token;
    // header 0x40 (Ver 1, CON, TKL 0), code 0.01, MID; Uri-Path (11) of 11 bytes → nibbles 0xBB.
    private const string Figure16Request = "40 01 7d34 bb 74656d7065726174757265";
    // ...and its piggybacked answer: ACK 2.05 (0x45) MID 0x7d34, payload marker, "22.3 C".
    private const string Figure16Response = "60 45 7d34 ff 32322e332043";
    // RFC 7252 Appendix A, Figure 17: the same GET with a 1-byte token 0x20 (TKL 1), MID 0x7d35; answer "22.5 C".
    private const string Figure17Request = "41 01 7d35 20 bb 74656d7065726174757265";
    private const string Figure17Response = "61 45 7d35 20 ff 32322e352043";

    [Fact]
    public void TryDecode_Figure16Request_ReadsEveryField()
    {
        Assert.True(CoapCodec.TryDecode(Hex.Bytes(Figure16Request), out var message, out _));
        Assert.Equal(CoapMessageType.Confirmable, message.Type);
        Assert.Equal(CoapCode.Get, message.Code);
        Assert.Equal(0x7d34, message.MessageId);
        Assert.True(message.Token.IsEmpty);
        var option = Assert.Single(message.Options);
        Assert.Equal(CoapOptionNumber.UriPath, option.Number);
        Assert.Equal("temperature", option.GetString());
        Assert.True(message.Payload.IsEmpty);
    }

    [Fact]
    public void TryDecode_Figure17Response_ReadsTokenAndPayload()
    {
        Assert.True(CoapCodec.TryDecode(Hex.Bytes(Figure17Response), out var message, out _));
        Assert.Equal(CoapMessageType.Acknowledgement, message.Type);
        Assert.Equal(CoapCode.Content, message.Code);
        Assert.Equal("2.05", message.Code.ToString());
        Assert.Equal(0x7d35, message.MessageId);
        Assert.Equal("20", Hex.Of(message.Token.Span));
        Assert.Empty(message.Options);
        Assert.Equal("22.5 C", Encoding.UTF8.GetString(message.Payload.Span));
    }

    [Theory]
    [InlineData(Figure16Request)]
    [InlineData(Figure16Response)]
    [InlineData(Figure17Request)]
    [InlineData(Figure17Response)]
    public void Encode_RfcExamples_ReproducesTheBytes(string hex)
    {
        var bytes = Hex.Bytes(hex);
        Assert.True(CoapCodec.TryDecode(bytes, out var message, out _));
        Assert.Equal(Hex.Of(bytes), Hex.Of(CoapCodec.Encode(message)));
    }

    [Fact]
    public void Encode_BuiltMessage_MatchesFigure16()
    {
        var message = new CoapMessage(CoapMessageType.Confirmable, CoapCode.Get, 0x7d34, default,
            [CoapOption.FromString(CoapOptionNumber.UriPath, "temperature")]);
        Assert.Equal(Hex.Of(Hex.Bytes(Figure16Request)), Hex.Of(CoapCodec.Encode(message)));
    }

    [Theory]
    // Hand-built from RFC 7252 §3.1: delta 13..268 → nibble 13 + one byte (delta − 13).
    // Size1 (60) = 13 + 47 (0x2f), length 1, value 0x10 (16).
    [InlineData("40 01 0001 d1 2f 10", CoapOptionNumber.Size1, "10")]
    // Delta ≥ 269 → nibble 14 + two bytes (delta − 269): option 300 = 269 + 31 (0x001f), length 0.
    [InlineData("40 01 0001 e0 001f", 300, "")]
    // Length 13 → nibble 13 + byte 0: Uri-Path "abcdefghijklm".
    [InlineData("40 01 0001 bd 00 6162636465666768696a6b6c6d", CoapOptionNumber.UriPath, "6162636465666768696a6b6c6d")]
    // Content-Format 0 is the empty uint (§3.2: no leading zeros, so zero is zero bytes): delta 12, length 0.
    [InlineData("40 01 0001 c0", CoapOptionNumber.ContentFormat, "")]
    public void TryDecode_ExtendedDeltaAndLength_AreDecoded(string hex, int number, string valueHex)
    {
        var bytes = Hex.Bytes(hex);
        Assert.True(CoapCodec.TryDecode(bytes, out var message, out _));
        var option = Assert.Single(message.Options);
        Assert.Equal(number, option.Number);
        Assert.Equal(valueHex, Hex.Of(option.Value.Span));
        Assert.Equal(Hex.Of(bytes), Hex.Of(CoapCodec.Encode(message)));
    }

    [Fact]
    public void TryDecode_TwoByteExtendedLength_DecodesLongProxyUri()
    {
        // Proxy-Uri (35): delta 35 = 13 + 22 (0x16); length 300 = 269 + 31 → nibble 14, 0x001f (§3.1).
        var value = new string('x', 300);
        var bytes = Hex.Bytes("40 01 0001 de 16 001f" + Convert.ToHexString(Encoding.ASCII.GetBytes(value)));
        Assert.True(CoapCodec.TryDecode(bytes, out var message, out _));
        Assert.Equal(value, Assert.Single(message.Options).GetString());
        Assert.Equal(Hex.Of(bytes), Hex.Of(CoapCodec.Encode(message)));
    }

    [Fact]
    public void TryDecode_RepeatedOptions_KeepOrderAndZeroDeltas()
    {
        // Uri-Path "a", Uri-Path "b" (delta 0), Uri-Query "x=1" (delta 4): §3.1 deltas are cumulative.
        var bytes = Hex.Bytes("40 01 0001 b1 61 01 62 43 783d31");
        Assert.True(CoapCodec.TryDecode(bytes, out var message, out _));
        Assert.Equal(["a", "b"], message.GetStringOptions(CoapOptionNumber.UriPath));
        Assert.Equal(["x=1"], message.GetStringOptions(CoapOptionNumber.UriQuery));
    }

    [Fact]
    public void TryDecode_EmptyMessage_IsEmpty()
    {
        // §4.1: an Empty CON (ping) is exactly the 4 header bytes.
        Assert.True(CoapCodec.TryDecode(Hex.Bytes("40 00 1234"), out var message, out _));
        Assert.True(message.IsEmpty);
        Assert.Equal(0x1234, message.MessageId);
    }

    [Theory]
    [InlineData("", CoapDecodeErrorKind.TruncatedHeader)]
    [InlineData("40 01 7d", CoapDecodeErrorKind.TruncatedHeader)]
    [InlineData("80 01 7d34", CoapDecodeErrorKind.UnknownVersion)]                 // Ver 2 (§3)
    [InlineData("00 01 7d34", CoapDecodeErrorKind.UnknownVersion)]                 // Ver 0
    [InlineData("49 01 7d34 010203040506070809", CoapDecodeErrorKind.InvalidTokenLength)] // TKL 9 (§3)
    [InlineData("4f 01 7d34", CoapDecodeErrorKind.InvalidTokenLength)]             // TKL 15
    [InlineData("44 01 7d34 0102", CoapDecodeErrorKind.TruncatedToken)]
    [InlineData("41 00 7d34 20", CoapDecodeErrorKind.NonEmptyEmptyMessage)]       // §4.1 token on 0.00
    [InlineData("40 00 7d34 ff00", CoapDecodeErrorKind.NonEmptyEmptyMessage)]     // §4.1 payload on 0.00
    [InlineData("40 01 7d34 f0", CoapDecodeErrorKind.ReservedOptionNibble)]        // delta 15, not 0xFF (§3.1)
    [InlineData("40 01 7d34 0f", CoapDecodeErrorKind.ReservedOptionNibble)]        // length 15 (§3.1)
    [InlineData("40 01 7d34 bb 7465", CoapDecodeErrorKind.TruncatedOption)]        // value runs off the end
    [InlineData("40 01 7d34 d0", CoapDecodeErrorKind.TruncatedOption)]             // missing extended delta byte
    [InlineData("40 01 7d34 e0 00", CoapDecodeErrorKind.TruncatedOption)]          // missing second extended byte
    [InlineData("40 01 7d34 0d", CoapDecodeErrorKind.TruncatedOption)]             // missing extended length byte
    [InlineData("40 01 7d34 e0 ffff", CoapDecodeErrorKind.OptionNumberOverflow)]   // 65535 + 269 > 65535
    [InlineData("40 01 7d34 ff", CoapDecodeErrorKind.EmptyPayloadAfterMarker)]     // §3
    public void TryDecode_MalformedInput_ReturnsTypedError(string hex, CoapDecodeErrorKind kind)
    {
        Assert.False(CoapCodec.TryDecode(Hex.Bytes(hex), out var message, out var error));
        Assert.Null(message);
        Assert.Equal(kind, error.Kind);
        Assert.False(string.IsNullOrEmpty(error.Describe()));
    }

    [Fact]
    public void TryDecode_ErrorAfterToken_KeepsHeaderAndToken()
    {
        Assert.False(CoapCodec.TryDecode(Hex.Bytes("42 02 beef cafe 0f"), out _, out var error));
        Assert.True(error.HasHeader);
        Assert.True(error.HasToken);
        Assert.Equal(CoapMessageType.Confirmable, error.Type);
        Assert.Equal(CoapCode.Post, error.Code);
        Assert.Equal(0xbeef, error.MessageId);
        Assert.Equal("cafe", Hex.Of(error.GetToken()));
    }

    [Fact]
    public void Encode_UnsortedOptionsGivenToConstructor_AreWrittenInNumberOrder()
    {
        var message = new CoapMessage(CoapMessageType.NonConfirmable, CoapCode.Post, 1, default,
            [CoapOption.FromString(CoapOptionNumber.UriQuery, "q"), CoapOption.FromString(CoapOptionNumber.UriPath, "p"),
             CoapOption.FromUInt(CoapOptionNumber.ContentFormat, 50)]);
        Assert.Equal([CoapOptionNumber.UriPath, CoapOptionNumber.ContentFormat, CoapOptionNumber.UriQuery], message.Options.Select(o => (int)o.Number));
        // 0x50: NON, TKL 0; Uri-Path(11) "p" → b1 70; Content-Format(+1) 50 → 11 32; Uri-Query(+3) "q" → 31 71.
        Assert.Equal("50020001b1701132 3171".Replace(" ", "", StringComparison.Ordinal), Hex.Of(CoapCodec.Encode(message)));
    }

    [Fact]
    public void TryEncode_SmallBuffer_ReturnsFalse()
    {
        var message = new CoapMessage(CoapMessageType.Confirmable, CoapCode.Get, 1, default, payload: new byte[10]);
        Assert.False(CoapCodec.TryEncode(message, new byte[10], out _));
        Assert.True(CoapCodec.TryEncode(message, new byte[CoapCodec.GetEncodedLength(message)], out int written));
        Assert.Equal(4 + 1 + 10, written);
    }

    [Fact]
    public void Constructor_TokenLongerThanEight_Throws() =>
        Assert.Throws<ArgumentException>(() => new CoapMessage(CoapMessageType.Confirmable, CoapCode.Get, 1, new byte[9]));
}
