using FsCheck;
using FsCheck.Fluent;
using Gateway.Coap.Codec;
using Gateway.Coap.Messages;

namespace Gateway.Coap.Tests.Codec;

/// <summary>FsCheck properties (reference/reliability.md S3): encode → decode is the identity.</summary>
public class CoapCodecPropertyTests
{
    // Bytes from a drawn seed: FsCheck drawing each byte separately makes 10^4 cases take seconds.
    private static Gen<byte[]> BytesGen(Gen<int> length) =>
        from n in length
        from seed in Gen.Choose(0, int.MaxValue)
        select RandomBytes(seed, n);

    private static byte[] RandomBytes(int seed, int length)
    {
        var bytes = new byte[length];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }

    private static readonly Gen<CoapOption> OptionGen =
        from number in Gen.Elements<ushort>(1, 3, 4, 6, 11, 12, 14, 15, 17, 23, 27, 28, 35, 60, 258, 2000, 65000)
        from value in BytesGen(Gen.Frequency((4, Gen.Choose(0, 12)), (2, Gen.Choose(13, 268)), (1, Gen.Choose(269, 700))))
        select new CoapOption(number, value);

    private static readonly Gen<CoapMessage> MessageGen =
        from type in Gen.Elements(CoapMessageType.Confirmable, CoapMessageType.NonConfirmable, CoapMessageType.Acknowledgement)
        from code in Gen.Choose(1, 255).Select(c => new CoapCode((byte)c))
        from mid in Gen.Choose(0, 65535)
        from token in BytesGen(Gen.Choose(0, 8))
        from optionCount in Gen.Choose(0, 6)
        from options in Gen.ArrayOf(OptionGen, optionCount)
        from payload in BytesGen(Gen.Frequency((3, Gen.Constant(0)), (3, Gen.Choose(1, 64)), (1, Gen.Choose(65, 1500))))
        select new CoapMessage(type, code, (ushort)mid, token, options, payload);

    [Fact]
    public void EncodeThenDecode_IsIdentity()
    {
        var property = Prop.ForAll(MessageGen.ToArbitrary(), message =>
        {
            var bytes = CoapCodec.Encode(message);
            if (bytes.Length != CoapCodec.GetEncodedLength(message)) return false;
            if (!CoapCodec.TryDecode(bytes, out var back, out _)) return false;
            return back.Type == message.Type && back.Code == message.Code && back.MessageId == message.MessageId
                && back.Token.Span.SequenceEqual(message.Token.Span)
                && back.Options.SequenceEqual(message.Options)
                && back.Payload.Span.SequenceEqual(message.Payload.Span);
        });
        Check.One(Config.QuickThrowOnFailure.WithMaxTest(10_000), property);
    }

    [Fact]
    public void TryDecode_ArbitraryBytes_NeverThrows()
    {
        var bytes = BytesGen(Gen.Choose(0, 64));
        var property = Prop.ForAll(bytes.ToArbitrary(), input =>
        {
            bool ok = CoapCodec.TryDecode(input, out var message, out var error);
            return ok ? message is not null : CoapRejectPolicy.Decide(error) != CoapRejectAction.Accept;
        });
        Check.One(Config.QuickThrowOnFailure.WithMaxTest(10_000), property);
    }
}
