using System.Security.Cryptography;
using System.Text;

namespace Gateway.Host.Admin;

/// <summary>
/// HTTP basic authentication (RFC 7617) against <see cref="AdminCredentials"/>. The page polls every
/// few seconds; to spare a PBKDF2 derivation per poll, the SHA-256 of the last accepted header is kept
/// and compared in constant time.
/// </summary>
public sealed class BasicAuthentication(AdminCredentials credentials)
{
    /// <summary>The challenge of a 401 (RFC 7617 §2, with the charset parameter of §2.1).</summary>
    public const string Challenge = "Basic realm=\"coap-gateway admin\", charset=\"UTF-8\"";

    private volatile byte[]? _accepted;

    /// <summary>Whether the <c>Authorization</c> header value carries a known user and password.</summary>
    public bool IsAuthorized(string? authorization)
    {
        if (authorization is null || !authorization.StartsWith("Basic ", StringComparison.OrdinalIgnoreCase)) return false;
        var digest = SHA256.HashData(Encoding.UTF8.GetBytes(authorization));
        if (_accepted is { } accepted && CryptographicOperations.FixedTimeEquals(accepted, digest)) return true;
        string pair;
        try
        {
            pair = Encoding.UTF8.GetString(Convert.FromBase64String(authorization["Basic ".Length..].Trim()));
        }
        catch (FormatException)
        {
            return false;
        }
        // RFC 7617 §2: the user-id cannot contain a colon; the password may.
        var colon = pair.IndexOf(':', StringComparison.Ordinal);
        if (colon < 0 || !credentials.Verify(pair[..colon], pair[(colon + 1)..])) return false;
        _accepted = digest;
        return true;
    }
}
