namespace Gateway.Devices.ThingsBoard;

/// <summary>ThingsBoard OTA package types (thingsboard.md §1.7): attribute prefix <c>fw_</c>/<c>sw_</c>, CoAP resource <c>/fw</c>/<c>/sw</c>.</summary>
public enum OtaPackageType : byte
{
    Firmware,
    Software,
}
