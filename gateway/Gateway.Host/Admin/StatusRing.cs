namespace Gateway.Host.Admin;

/// <summary>A fixed number of <see cref="StatusSample"/>s; the oldest is overwritten, so memory never grows with uptime.</summary>
public sealed class StatusRing(int capacity)
{
    private readonly StatusSample[] _samples = new StatusSample[capacity];
    private int _next, _count;

    public int Capacity => _samples.Length;

    public int Count => _count;

    public void Add(StatusSample sample)
    {
        _samples[_next] = sample;
        _next = (_next + 1) % _samples.Length;
        if (_count < _samples.Length) _count++;
    }

    /// <summary>The samples held, oldest first.</summary>
    public StatusSample[] ToArray()
    {
        var copy = new StatusSample[_count];
        var start = (_next - _count + _samples.Length) % _samples.Length;
        for (var i = 0; i < _count; i++) copy[i] = _samples[(start + i) % _samples.Length];
        return copy;
    }
}
