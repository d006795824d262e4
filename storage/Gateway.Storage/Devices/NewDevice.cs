namespace Gateway.Storage.Devices;

/// <summary>A device to register (<c>coap-gateway devices add</c>, or provisioning).</summary>
/// <param name="Name">Unique device name, as the cloud knows it.</param>
/// <param name="Profile">Device type/profile (ThingsBoard "type"); "default" if none.</param>
public sealed record NewDevice(string Name, string Profile = "default")
{
    /// <summary>ThingsBoard access token; generated (20 alphanumerics) if null and no Exosite identity is given.</summary>
    public string? Token { get; init; }

    /// <summary>Exosite vendor; with <see cref="Model"/> and <see cref="Serial"/> the device awaits activation.</summary>
    public string? Vendor { get; init; }

    /// <summary>Exosite model.</summary>
    public string? Model { get; init; }

    /// <summary>Exosite serial number.</summary>
    public string? Serial { get; init; }
}
