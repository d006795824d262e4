namespace Gateway.Bench.Coap;

/// <summary>
/// One load level: <see cref="Outstanding"/> requests in flight, each slot rotating over
/// <see cref="SocketsPerSlot"/> client sockets. Written "N" (N endpoints, one request each, like
/// coapload's <c>-c N</c>) or "NxM" (N slots over M endpoints in total, e.g. <c>1x64</c>).
/// </summary>
internal readonly record struct LoadPoint(int Outstanding, int SocketsPerSlot)
{
    public int Sockets => Outstanding * SocketsPerSlot;

    public override string ToString() => SocketsPerSlot == 1 ? $"{Outstanding}" : $"{Outstanding}x{Sockets}";

    public static bool TryParse(string text, out LoadPoint point)
    {
        point = default;
        var parts = text.Split('x');
        if (parts.Length is < 1 or > 2 || !int.TryParse(parts[0], out int n) || n < 1 || n > 4096) return false;
        int sockets = n;
        if (parts.Length == 2 && (!int.TryParse(parts[1], out sockets) || sockets < n || sockets % n != 0 || sockets > 65536)) return false;
        point = new LoadPoint(n, sockets / n);
        return true;
    }
}
