using Gateway.Coap.Codec;
using Gateway.Coap.Messages;
using Gateway.TestKit;

namespace Gateway.Coap.Tests.Codec;

/// <summary>
/// The C# twin of libcoap's oss-fuzz target: fixed-seed mutations of valid frames must decode to
/// a message or a typed error, never an exception, and a decoded message must re-encode and decode
/// to the same fields.
/// </summary>
public class CoapCodecMutationTests
{
    private static readonly string[] Seeds =
    [
        "40017d34bb74656d7065726174757265",                  // RFC 7252 Fig. 16 request
        "60457d34ff32322e332043",                            // Fig. 16 response
        "41017d3520bb74656d7065726174757265",                // Fig. 17 request
        "40000001",                                          // ping
        "4201beefcafeb3617069b27631d12f10ff7b2274223a317d",  // POST /api/v1 with Size1 and JSON
        "40010001de16001f" + new string('7', 600),           // 300-byte Proxy-Uri
        "48011234 0102030405060708 e0001f 61 0d00 6162636465666768696a6b6c6d".Replace(" ", "", StringComparison.Ordinal),
    ];

    [Fact]
    public void TryDecode_HundredThousandMutations_NeverThrows()
    {
        var random = new Random(7252);
        var seeds = Seeds.Select(Hex.Bytes).ToArray();
        var reusable = CoapMessage.CreateReusable();
        int decoded = 0, rejected = 0;
        for (int i = 0; i < 100_000; i++)
        {
            var input = DatagramMutator.Mutate(random, seeds[random.Next(seeds.Length)]);
            bool ok;
            CoapMessage? message;
            CoapDecodeError error;
            try
            {
                ok = CoapCodec.TryDecode(input, out message, out error);
                _ = CoapRejectPolicy.Decide(error);
                if (ok) _ = CoapRejectPolicy.DecideOptions(message!, out _);
                // The receive loop's path (one message reused for every datagram) must agree exactly.
                bool reusedOk = CoapCodec.TryDecode(input, reusable, out var reused, out var reusedError);
                Assert.Equal(ok, reusedOk);
                Assert.Equal(error, reusedError);
                if (ok) Assert.Equal(message!.ToString(), reused!.ToString());
            }
            catch (Exception e)
            {
                Assert.Fail($"input {Convert.ToHexString(input)} threw {e}");
                return;
            }
            if (!ok) { rejected++; continue; }
            decoded++;
            // Whatever decodes must survive a round trip unchanged.
            var again = CoapCodec.Encode(message!);
            Assert.True(CoapCodec.TryDecode(again, out var back, out _), Convert.ToHexString(input));
            Assert.Equal(message!.MessageId, back.MessageId);
            Assert.Equal(message.Code, back.Code);
            Assert.Equal(message.Options.Count, back.Options.Count);
            Assert.True(message.Payload.Span.SequenceEqual(back.Payload.Span));
        }
        // Both outcomes must actually occur, or the mutator is not exercising the decoder.
        Assert.True(decoded > 1000 && rejected > 1000, $"decoded {decoded}, rejected {rejected}");
    }
}
