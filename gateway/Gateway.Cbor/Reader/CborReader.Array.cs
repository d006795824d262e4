namespace Gateway.Cbor;

public sealed partial class CborReader
{
    /// <summary>
    /// Opens an array (major type 4). Returns the element count, or null for an indefinite-length
    /// array (RFC 8949 §3.2.2) that ends with <see cref="ReadEndArray"/> at its break byte.
    /// </summary>
    public int? ReadStartArray()
    {
        PeekExpecting("the start of an array", CborReaderState.StartArray);
        int? count = DecodeContainerLength(itemsPerEntry: 1, out int headerLength);
        PushFrame(CborMajorType.Array, count, _offset + headerLength);
        return count;
    }

    /// <summary>Closes the current array; <see cref="InvalidOperationException"/> if elements remain.</summary>
    public void ReadEndArray()
    {
        if (_frame.Type != CborMajorType.Array) throw new InvalidOperationException("No array is open at this level.");
        PeekExpecting("the end of the array", CborReaderState.EndArray);
        PopFrame(_frame.DefiniteLength is null ? _offset + 1 : _offset);
    }

    /// <summary>
    /// Decodes an array or map header. A definite count is checked against the remaining bytes (every
    /// item takes at least one byte), so a hostile count of 2^32 on a 10-byte input is rejected here,
    /// and nothing is ever sized from a count alone.
    /// </summary>
    private int? DecodeContainerLength(int itemsPerEntry, out int headerLength)
    {
        CborContentError error = CborHeader.TryDecodeArgument(Remaining, ConformanceMode, out ulong count, out headerLength, out bool indefinite);
        if (error != CborContentError.None) throw Content(error, _offset);
        if (indefinite) return null;
        if (count > (ulong)(BytesRemaining - headerLength) / (ulong)itemsPerEntry) throw Content(CborContentError.LengthExceedsRemainingBytes, _offset);
        return (int)count;
    }
}
