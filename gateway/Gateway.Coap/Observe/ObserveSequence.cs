namespace Gateway.Coap.Observe;

/// <summary>Observe sequence numbers: 24 bits, compared with the wrap-around rule of RFC 7641 §3.4.</summary>
public static class ObserveSequence
{
    public const uint Mask = 0xFFFFFF;
    private const uint Half = 1u << 23;

    /// <summary>The value after <paramref name="value"/>, wrapping at 2^24 (§4.4).</summary>
    public static uint Next(uint value) => (value + 1) & Mask;

    /// <summary>
    /// RFC 7641 §3.4: notification (v2, t2) is newer than (v1, t1) if v1 &lt; v2 and v2 − v1 &lt; 2^23,
    /// or v1 &gt; v2 and v1 − v2 &gt; 2^23 (wrapped), or t2 &gt; t1 + 128 s (the numbers may have
    /// restarted, e.g. after a server reboot).
    /// </summary>
    public static bool IsNewer(uint v1, TimeSpan t1, uint v2, TimeSpan t2) =>
        (v1 < v2 && v2 - v1 < Half) || (v1 > v2 && v1 - v2 > Half) || t2 > t1 + TimeSpan.FromSeconds(128);
}
