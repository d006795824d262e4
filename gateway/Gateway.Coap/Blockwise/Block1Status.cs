namespace Gateway.Coap.Blockwise;

/// <summary>What one Block1 request did to its transfer (RFC 7959 §2.3, §2.9).</summary>
internal enum Block1Status : byte
{
    /// <summary>Stored; answer 2.31 Continue with Block1 echoed (§2.9.1).</summary>
    Continue,

    /// <summary>The last block arrived; the whole body goes to the handler once.</summary>
    Complete,

    /// <summary>A gap, a block out of order, or no transfer for a NUM &gt; 0: 4.08 Request Entity Incomplete (§2.9.2).</summary>
    Incomplete,

    /// <summary>The body (announced by Size1 or accumulated) exceeds the limit: 4.13 with Size1 (§2.9.3, §4).</summary>
    TooLarge,

    /// <summary>A block whose payload does not match its SZX (§2.3: all blocks but the last are exactly the block size): 4.00.</summary>
    Malformed,
}
