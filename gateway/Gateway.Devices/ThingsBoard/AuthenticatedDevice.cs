using Gateway.Storage.Devices;

namespace Gateway.Devices.ThingsBoard;

/// <summary>Result of a token check: the device, or the answer to give instead (4.01, silence, 5.03).</summary>
public readonly record struct AuthenticatedDevice(DeviceRecord? Device, DeviceApiResult? Failure)
{
    public bool Succeeded => Device is not null;
}
