namespace Gateway.Coap.Messages;

/// <summary>
/// Builds option arrays in wire order: ascending number, and for repeatable options the order in
/// which they were added (RFC 7252 §3.1, §5.4.5: the order of repeated options is significant).
/// </summary>
public sealed class CoapOptionList
{
    private readonly List<CoapOption> _options = [];

    public int Count => _options.Count;

    public CoapOptionList Add(CoapOption option)
    {
        // Insert after the last option with a number <= this one: a stable insertion sort.
        int i = _options.Count;
        while (i > 0 && _options[i - 1].Number > option.Number) i--;
        _options.Insert(i, option);
        return this;
    }

    public CoapOption[] ToArray() => [.. _options];

    public static CoapOption[] Sorted(IReadOnlyList<CoapOption> options)
    {
        var list = new CoapOptionList();
        foreach (var o in options) list.Add(o);
        return list.ToArray();
    }
}
