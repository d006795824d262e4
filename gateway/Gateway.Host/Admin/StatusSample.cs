namespace Gateway.Host.Admin;

/// <summary>One point of the admin page's graphs.</summary>
/// <param name="AtUnixMs">Wall-clock time of the sample (for the axis only).</param>
/// <param name="Depth">Outbox rows waiting.</param>
/// <param name="Bytes">Outbox bytes waiting.</param>
/// <param name="OldestAgeSeconds">Age of the oldest waiting row.</param>
/// <param name="IngestPerSecond">Rows devices handed to the outbox per second since the previous sample.</param>
/// <param name="ForwardPerSecond">Rows the cloud acknowledged per second since the previous sample.</param>
public readonly record struct StatusSample(long AtUnixMs, long Depth, long Bytes, long OldestAgeSeconds, double IngestPerSecond, double ForwardPerSecond);
