namespace Gateway.Bench.Coap;

/// <summary>
/// Latency histogram in microseconds: exact below 2048 µs, then 1024 buckets per power of two
/// (≤ 0.1 % error) up to about a minute. Fixed size, so recording never allocates and a point
/// keeps no list of samples however many responses it sees.
/// </summary>
internal sealed class LatencyHistogram
{
    private const int SubBits = 10;                 // 1024 sub-buckets per octave
    private const int Exact = 2 << SubBits;         // values below this get their own bucket
    private const int MaxShift = 16;                // 2047 << 16 µs ≈ 134 s: beyond any timeout here
    private readonly long[] _counts = new long[(MaxShift + 2) << SubBits];

    public long Count { get; private set; }

    public void Record(long micros)
    {
        if (micros < 0) micros = 0;
        _counts[IndexOf(micros)]++;
        Count++;
    }

    public void Add(LatencyHistogram other)
    {
        for (int i = 0; i < _counts.Length; i++) _counts[i] += other._counts[i];
        Count += other.Count;
    }

    /// <summary>The smallest recorded value v with at least <paramref name="fraction"/> of samples ≤ v (bucket lower bound).</summary>
    public long Percentile(double fraction)
    {
        if (Count == 0) return 0;
        long rank = Math.Max(1, (long)Math.Ceiling(fraction * Count));
        long seen = 0;
        for (int i = 0; i < _counts.Length; i++)
        {
            seen += _counts[i];
            if (seen >= rank) return ValueOf(i);
        }
        return ValueOf(_counts.Length - 1);
    }

    private static int IndexOf(long micros)
    {
        if (micros < Exact) return (int)micros;
        int shift = 63 - (int)ulong.LeadingZeroCount((ulong)micros) - SubBits; // ≥ 1 here
        if (shift > MaxShift) return ((MaxShift + 2) << SubBits) - 1; // clamp to the last bucket
        return (shift << SubBits) + (int)(micros >> shift);
    }

    private static long ValueOf(int index)
    {
        if (index < Exact) return index;
        int shift = (index >> SubBits) - 1;
        long mantissa = index - (shift << SubBits);
        return mantissa << shift;
    }
}
