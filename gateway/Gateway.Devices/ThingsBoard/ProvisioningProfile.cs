namespace Gateway.Devices.ThingsBoard;

/// <summary>One entry of <c>Provisioning:Profiles</c>: a device profile that devices may provision themselves into (thingsboard.md §1.6).</summary>
public sealed class ProvisioningProfile
{
    /// <summary><c>provisionDeviceKey</c> the device sends.</summary>
    public string Key { get; set; } = "";

    /// <summary><c>provisionDeviceSecret</c> the device sends; a profile without a secret provisions nothing (NOT_FOUND, as ThingsBoard).</summary>
    public string Secret { get; set; } = "";

    /// <summary>Device profile (ThingsBoard "type") given to provisioned devices. Default "default".</summary>
    public string Type { get; set; } = "default";
}
