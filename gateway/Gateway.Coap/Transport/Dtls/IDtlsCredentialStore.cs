namespace Gateway.Coap.Transport.Dtls;

/// <summary>
/// Where the DTLS server looks up who a peer is during a handshake (called on the handshake's own
/// thread, so an implementation may block on storage). The answer names the device the session
/// then acts for; the CoAP layer sees only that name (<see cref="ISessionIdentityProvider"/>).
/// </summary>
public interface IDtlsCredentialStore
{
    /// <summary>The key and device of a PSK identity (RFC 4279 §2), or null if the identity is unknown.</summary>
    DtlsPskCredential? FindPsk(ReadOnlySpan<byte> identity);

    /// <summary>
    /// The device a client certificate stands for: by the SHA-256 fingerprint of its DER encoding, or —
    /// when <paramref name="issuedByClientCa"/> (its chain verified to <c>Coap:Dtls:ClientCaFile</c>) —
    /// by its subject common name. Null if it stands for no device (the handshake then fails).
    /// </summary>
    string? FindCertificateDevice(ReadOnlySpan<byte> sha256Fingerprint, string? commonName, bool issuedByClientCa);
}

/// <summary>A PSK and the device it authenticates. The key is cleared by the server once the handshake used it.</summary>
public sealed record DtlsPskCredential(string Device, byte[] Key);
