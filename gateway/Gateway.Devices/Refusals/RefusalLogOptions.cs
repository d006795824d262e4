namespace Gateway.Devices.Refusals;

/// <summary>How often <see cref="RefusalLog"/> writes its summary (host key <c>Gateway:RefusalLogIntervalSeconds</c>).</summary>
public sealed class RefusalLogOptions
{
    public TimeSpan Interval { get; set; } = TimeSpan.FromSeconds(60);
}
