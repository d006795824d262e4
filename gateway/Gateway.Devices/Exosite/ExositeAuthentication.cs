using Gateway.Storage.Devices;

namespace Gateway.Devices.Exosite;

/// <summary>
/// The activated device a CIK belongs to, or how to answer without one: <see cref="ExositeResult.Unauthorized"/>
/// (4.01) while the source's failures are answered, <see cref="ExositeResult.Silent"/> once they are not.
/// </summary>
public readonly record struct ExositeAuthentication(DeviceRecord? Device, ExositeResult Failure);
