using FsCheck;
using FsCheck.Fluent;
using Gateway.Coap.Blockwise;
using Gateway.Coap.Messages;
using Gateway.Coap.Transport;

namespace Gateway.Coap.Tests.Blockwise;

/// <summary>
/// Reliability S3 / issue 4: for any body, any non-increasing sequence of block sizes and any lost
/// or repeated blocks, reassembly yields exactly the body or the RFC's 4.08 — never a wrong body.
/// </summary>
public class Block1ReassemblyPropertyTests
{
    private enum Step { Send, Lose, Repeat }

    private static readonly Gen<(int Length, int Seed, (Step Step, int ShrinkBy)[] Steps)> Scenario =
        from length in Gen.Frequency((1, Gen.Constant(0)), (4, Gen.Choose(1, 3000)))
        from seed in Gen.Choose(0, int.MaxValue)
        from count in Gen.Choose(1, 60)
        from steps in Gen.ArrayOf(
            from step in Gen.Frequency((12, Gen.Constant(Step.Send)), (1, Gen.Constant(Step.Lose)), (2, Gen.Constant(Step.Repeat)))
            from shrink in Gen.Frequency((8, Gen.Constant(0)), (1, Gen.Constant(1)))
            select (step, shrink), count)
        select (length, seed, steps);

    [Fact]
    public void Reassembly_YieldsTheBodyOrIncomplete_NeverAWrongBody()
    {
        var property = Prop.ForAll(Scenario.ToArbitrary(), scenario =>
        {
            var body = new byte[scenario.Length];
            new Random(scenario.Seed).NextBytes(body);
            var reassembler = new Block1Reassembler(4, 256, 64 * 1024);
            var peer = new PeerAddress(1, 5683, 0);
            var key = RequestKey.From(CoapCode.Put, [CoapOption.FromString(CoapOptionNumber.UriPath, "x")]);
            int szx = 6, position = 0, lastSent = -1, lastSzx = 6;
            bool gap = false;
            foreach (var (step, shrinkBy) in scenario.Steps)
            {
                szx = Math.Max(0, szx - shrinkBy); // a client may only go down in size mid-transfer (§2.3); offsets stay aligned
                int blockSzx = step == Step.Repeat && lastSent >= 0 ? lastSzx : szx; // a repeat is the very same block
                int size = 1 << (blockSzx + 4);
                int offset = step == Step.Repeat && lastSent >= 0 ? lastSent : position;
                if (offset % size != 0) continue;
                int count = Math.Min(size, body.Length - offset);
                bool more = offset + count < body.Length;
                if (step == Step.Lose)
                {
                    if (!more) continue;
                    gap = true;
                    position += count;
                    continue;
                }
                var status = reassembler.Accept(peer, key, new BlockOption((uint)(offset / size), more, blockSzx),
                    body.AsMemory(offset, count), null, 0, out var whole);
                if (status == Block1Status.Complete && !whole.AsSpan().SequenceEqual(body)) return false; // the one thing that must never happen
                if (step == Step.Repeat && lastSent >= 0)
                {
                    if (status is not (Block1Status.Continue or Block1Status.Incomplete or Block1Status.Complete)) return false;
                    if (status == Block1Status.Incomplete) { position = 0; lastSent = -1; gap = false; }
                    continue;
                }
                if (gap && offset > 0)
                {
                    if (status != Block1Status.Incomplete) return false;
                    position = 0; lastSent = -1; gap = false; // the client starts over (§2.9.2)
                    continue;
                }
                if (status != (more ? Block1Status.Continue : Block1Status.Complete)) return false;
                gap = false;
                lastSent = offset;
                lastSzx = blockSzx;
                position = offset + count;
                if (!more) return reassembler.Count == 0;
            }
            return true;
        });
        Check.One(Config.QuickThrowOnFailure.WithMaxTest(10_000), property);
    }
}
