namespace Gateway.Storage.Devices;

/// <summary>Registered devices, and the Exosite ones among them that have not activated yet.</summary>
public readonly record struct DeviceCount(int Total, int AwaitingActivation);
