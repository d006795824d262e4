namespace Gateway.Coap.Server;

/// <summary>
/// The strings of the <c>{name}</c> segments a thread resolved last: a device sends its token (or its name) in every
/// request, so a receive thread makes each such segment's string once instead of once per request (issue 21). Per
/// thread and direct-mapped like <see cref="Transport.PeerAddressText"/>: no lock, at most <see cref="Slots"/> strings
/// per thread whatever the number of devices (a colliding segment is made again and takes the slot).
/// </summary>
internal static class RouteValueText
{
    private const int Slots = 64;

    [ThreadStatic] private static string?[]? t_slots;

    public static string Of(ReadOnlySpan<char> segment)
    {
        var slots = t_slots ??= new string?[Slots];
        ref var slot = ref slots[string.GetHashCode(segment) & (Slots - 1)];
        if (slot is null || !segment.SequenceEqual(slot)) slot = new string(segment);
        return slot;
    }
}
