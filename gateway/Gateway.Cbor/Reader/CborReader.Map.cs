namespace Gateway.Cbor;

public sealed partial class CborReader
{
    /// <summary>
    /// Opens a map (major type 5). Returns the number of key/value pairs, or null for an
    /// indefinite-length map. Keys and values are then read alternately; in Strict and Canonical
    /// mode a duplicate (or, in Canonical, out-of-order) key is rejected when the key has been read.
    /// </summary>
    public int? ReadStartMap()
    {
        PeekExpecting("the start of a map", CborReaderState.StartMap);
        // Each pair takes at least two bytes.
        int? pairs = DecodeContainerLength(itemsPerEntry: 2, out int headerLength);
        PushFrame(CborMajorType.Map, pairs * 2, _offset + headerLength);
        return pairs;
    }

    /// <summary>Closes the current map; <see cref="InvalidOperationException"/> if pairs remain.</summary>
    public void ReadEndMap()
    {
        if (_frame.Type != CborMajorType.Map) throw new InvalidOperationException("No map is open at this level.");
        PeekExpecting("the end of the map", CborReaderState.EndMap);
        PopFrame(_frame.DefiniteLength is null ? _offset + 1 : _offset);
    }
}
