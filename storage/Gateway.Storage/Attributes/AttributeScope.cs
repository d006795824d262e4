namespace Gateway.Storage.Attributes;

/// <summary>ThingsBoard attribute scopes a device sees. Stored as its number.</summary>
public enum AttributeScope
{
    /// <summary>Reported by the device.</summary>
    Client = 1,

    /// <summary>Set in the cloud, pushed to the device.</summary>
    Shared = 2,
}
