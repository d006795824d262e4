namespace Gateway.Storage.Devices;

/// <summary>A registered device. Credentials are never readable back: only their keyed hashes are stored.</summary>
public sealed record DeviceRecord(
    long Id,
    string Name,
    string Profile,
    bool HasToken,
    string? Vendor,
    string? Model,
    string? Serial,
    bool Activated,
    DateTimeOffset Created,
    string? PskIdentity = null,
    bool HasCertificate = false);
