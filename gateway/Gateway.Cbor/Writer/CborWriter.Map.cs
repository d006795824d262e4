namespace Gateway.Cbor;

public sealed partial class CborWriter
{
    /// <summary>
    /// Starts a map (major type 5) of <paramref name="definitePairs"/> key/value pairs, or an
    /// indefinite-length map when null. Keys and values are then written alternately.
    /// </summary>
    public void WriteStartMap(int? definitePairs)
    {
        if (definitePairs is < 0 or > int.MaxValue / 2) throw new ArgumentOutOfRangeException(nameof(definitePairs));
        if (definitePairs is null) RejectIndefinite();
        BeginItem(CborMajorType.Map);
        if (definitePairs is int pairs)
        {
            WriteHeader(CborMajorType.Map, (ulong)pairs);
        }
        else
        {
            WriteByte(0xBF);
        }

        PushFrame(CborMajorType.Map, definitePairs * 2);
    }

    /// <summary>Closes the current map; in Canonical mode its pairs are first sorted by key encoding.</summary>
    public void WriteEndMap()
    {
        CheckEnd(CborMajorType.Map, "map");
        if (ConformanceMode >= CborConformanceMode.Canonical && _frame.KeyEnds is { Count: > 1 })
        {
            SortPairs();
        }

        if (_frame.DefiniteLength is null) WriteByte(CborHeader.Break);
        PopFrame();
    }

    /// <summary>
    /// RFC 8949 §4.2.1: "the keys in every map MUST be sorted in the bytewise lexicographic order of
    /// their deterministic encodings". Nested maps were already sorted when they closed, so each key's
    /// bytes are final here. Keys are known to be distinct, so the order is total.
    /// </summary>
    private void SortPairs()
    {
        List<int> keyEnds = _frame.KeyEnds!;
        int count = keyEnds.Count;
        var pairs = new (int KeyStart, int KeyEnd, int End)[count];
        int start = _frame.ContentOffset;
        for (int i = 0; i < count; i++)
        {
            // A value ends where the next key starts; the last one ends at the current offset.
            int valueEnd = i + 1 < count ? FindNextKeyStart(i) : _offset;
            pairs[i] = (start, keyEnds[i], valueEnd);
            start = valueEnd;
        }

        byte[] buffer = _buffer;
        Array.Sort(pairs, (a, b) => buffer.AsSpan(a.KeyStart, a.KeyEnd - a.KeyStart).SequenceCompareTo(buffer.AsSpan(b.KeyStart, b.KeyEnd - b.KeyStart)));
        byte[] sorted = new byte[_offset - _frame.ContentOffset];
        int written = 0;
        foreach (var pair in pairs)
        {
            buffer.AsSpan(pair.KeyStart, pair.End - pair.KeyStart).CopyTo(sorted.AsSpan(written));
            written += pair.End - pair.KeyStart;
        }

        sorted.CopyTo(buffer.AsSpan(_frame.ContentOffset));
    }

    private int FindNextKeyStart(int pairIndex) => _frame.KeyStarts![pairIndex + 1];
}
