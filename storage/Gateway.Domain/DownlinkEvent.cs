namespace Gateway.Domain;

/// <summary>
/// A change the device side should push to a device now (Observe notification, HTTP long poll).
/// The durable state is already in storage when this is raised; the event only wakes listeners.
/// For <see cref="DownlinkKind.SharedAttributes"/> the payload is what ThingsBoard pushes to a
/// device: a flat <c>{"k":v}</c> or <c>{"deleted":["k"]}</c> (reference/thingsboard.md §1.3).
/// </summary>
public sealed record DownlinkEvent(string Device, DownlinkKind Kind, ReadOnlyMemory<byte> Payload = default);
