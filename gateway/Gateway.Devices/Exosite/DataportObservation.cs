namespace Gateway.Devices.Exosite;

/// <summary>What an observe relation of <c>/1a/&lt;alias&gt;</c> watches, and when it last got a notification (for the Max-Age refresh).</summary>
internal sealed class DataportObservation(string device, string alias, long lastSent)
{
    public string Device { get; } = device;
    public string Alias { get; } = alias;

    /// <summary>TimeProvider timestamp of the last notification (or of the registration).</summary>
    public long LastSent = lastSent;
}
