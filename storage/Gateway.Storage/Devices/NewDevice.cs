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

    /// <summary>DTLS PSK identity (RFC 4279); with <see cref="PskKey"/> the device can authenticate its DTLS session instead of a token.</summary>
    public string? PskIdentity { get; init; }

    /// <summary>The pre-shared key's bytes (stored encrypted, <see cref="PskKeyProtector"/>).</summary>
    public byte[]? PskKey { get; init; }

    /// <summary>SHA-256 of a client certificate's DER encoding: a DTLS session with that certificate acts for this device.</summary>
    public byte[]? CertificateSha256 { get; init; }
}
