using Gateway.Coap.Messages;

namespace Gateway.Coap.Blockwise;

/// <summary>
/// The options of a request that switch on Observe or block-wise handling, read in one pass over
/// the (sorted) options with no allocation. <see cref="Any"/> false is the plain path: a request
/// without them pays nothing more than this scan.
/// </summary>
internal struct TransferOptions
{
    public bool Any;
    public uint? Observe;
    public BlockOption? Block1;
    public BlockOption? Block2;
    public uint? Size1;
    /// <summary>Size2 in a request (with value 0) asks for the total size (RFC 7959 §4).</summary>
    public bool Size2;
    /// <summary>SZX 7 is reserved; a request carrying it gets 4.00 (RFC 7959 §2.2).</summary>
    public bool ReservedSzx;

    /// <summary>The dedup discriminator: the raw block options, so one Message ID reused for different blocks is not a duplicate.</summary>
    public readonly ulong DeduplicationVariant =>
        (Block1 is { } b1 ? ((ulong)b1.Encode() + 1) << 32 : 0) | (Block2 is { } b2 ? (ulong)b2.Encode() + 1 : 0);

    public static void Scan(IReadOnlyList<CoapOption> options, out TransferOptions found)
    {
        found = default;
        for (int i = 0; i < options.Count; i++)
        {
            var option = options[i];
            if (option.Number > CoapOptionNumber.Size1) break;
            switch (option.Number)
            {
                case CoapOptionNumber.Observe:
                    found.Any = true;
                    found.Observe = option.TryGetUInt(out uint observe) ? observe : uint.MaxValue;
                    break;
                case CoapOptionNumber.Block1:
                case CoapOptionNumber.Block2:
                    found.Any = true;
                    option.TryGetUInt(out uint raw);
                    var block = BlockOption.Decode(raw);
                    if (block.Szx > BlockOption.MaxSzx) found.ReservedSzx = true;
                    if (option.Number == CoapOptionNumber.Block1) found.Block1 = block;
                    else found.Block2 = block with { More = false }; // §2.2: M in a Block2 request is ignored
                    break;
                case CoapOptionNumber.Size1:
                    found.Any = true;
                    found.Size1 = option.TryGetUInt(out uint size1) ? size1 : uint.MaxValue;
                    break;
                case CoapOptionNumber.Size2:
                    found.Any = true;
                    found.Size2 = true;
                    break;
            }
        }
    }
}
