namespace Gateway.Devices.ThingsBoard;

/// <summary>Configuration section <c>Provisioning</c>.</summary>
public sealed class ProvisioningOptions
{
    public List<ProvisioningProfile> Profiles { get; set; } = [];
}
