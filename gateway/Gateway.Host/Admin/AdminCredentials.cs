using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace Gateway.Host.Admin;

/// <summary>
/// The admin credential file: one <c>user:pbkdf2-sha256$iterations$salt$hash</c> line per user
/// (salt and hash in base64; <c>#</c> starts a comment). Only salted PBKDF2 hashes are stored
/// (RFC 8018 §5.2), so the file does not reveal a password; checks compare in constant time.
/// </summary>
public sealed class AdminCredentials
{
    public const int DefaultIterations = 100_000;
    private const string Scheme = "pbkdf2-sha256";
    private const int SaltBytes = 16, HashBytes = 32;
    private static readonly HashAlgorithmName Algorithm = HashAlgorithmName.SHA256;
    private readonly IReadOnlyList<Entry> _entries;

    private AdminCredentials(IReadOnlyList<Entry> entries) => _entries = entries;

    public int Count => _entries.Count;

    /// <summary>The file line for <paramref name="user"/> with a fresh random salt.</summary>
    public static string HashLine(string user, string password, int iterations = DefaultIterations)
    {
        var salt = RandomNumberGenerator.GetBytes(SaltBytes);
        var hash = Rfc2898DeriveBytes.Pbkdf2(Encoding.UTF8.GetBytes(password), salt, iterations, Algorithm, HashBytes);
        return string.Create(CultureInfo.InvariantCulture, $"{user}:{Scheme}${iterations}${Convert.ToBase64String(salt)}${Convert.ToBase64String(hash)}");
    }

    /// <summary>Whether <paramref name="user"/> is a valid name for the file (no colon, no control characters, not empty).</summary>
    public static bool IsValidUser(string user) => user.Length is > 0 and <= 64 && !user.Any(c => c == ':' || char.IsControl(c) || char.IsWhiteSpace(c));

    public static bool TryLoad(string path, [NotNullWhen(true)] out AdminCredentials? credentials, [NotNullWhen(false)] out string? problem)
    {
        credentials = null;
        string[] lines;
        try
        {
            lines = File.ReadAllLines(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            problem = $"cannot read '{path}': {e.Message.ReplaceLineEndings(" ")}";
            return false;
        }
        return TryParse(lines, out credentials, out problem);
    }

    public static bool TryParse(IEnumerable<string> lines, [NotNullWhen(true)] out AdminCredentials? credentials, [NotNullWhen(false)] out string? problem)
    {
        credentials = null;
        var entries = new List<Entry>();
        var number = 0;
        foreach (var raw in lines)
        {
            number++;
            var line = raw.Trim();
            if (line.Length == 0 || line[0] == '#') continue;
            if (ParseEntry(line) is not { } entry)
            {
                // The line itself may hold a password typed by mistake: name the line, never print it.
                problem = $"line {number} is not 'user:{Scheme}$iterations$salt$hash'";
                return false;
            }
            entries.Add(entry);
        }
        if (entries.Count == 0)
        {
            problem = "no user in the file (create one with: coap-gateway admin set-password USER)";
            return false;
        }
        credentials = new AdminCredentials(entries);
        problem = null;
        return true;
    }

    /// <summary>
    /// Whether the pair matches a line. Every line is checked and compared with
    /// <see cref="CryptographicOperations.FixedTimeEquals"/>, so the time taken does not tell
    /// which user exists or how much of a hash matched.
    /// </summary>
    public bool Verify(string user, string password)
    {
        var userHash = SHA256.HashData(Encoding.UTF8.GetBytes(user));
        var passwordBytes = Encoding.UTF8.GetBytes(password);
        var match = false;
        foreach (var entry in _entries)
        {
            var derived = Rfc2898DeriveBytes.Pbkdf2(passwordBytes, entry.Salt, entry.Iterations, Algorithm, HashBytes);
            var sameUser = CryptographicOperations.FixedTimeEquals(userHash, entry.UserHash);
            var samePassword = CryptographicOperations.FixedTimeEquals(derived, entry.Hash);
            match |= sameUser & samePassword;
        }
        return match;
    }

    private static Entry? ParseEntry(string line)
    {
        var colon = line.IndexOf(':', StringComparison.Ordinal);
        if (colon <= 0) return null;
        var user = line[..colon];
        var parts = line[(colon + 1)..].Split('$');
        if (!IsValidUser(user) || parts.Length != 4 || parts[0] != Scheme) return null;
        if (!int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var iterations) || iterations is < 1_000 or > 10_000_000) return null;
        try
        {
            var salt = Convert.FromBase64String(parts[2]);
            var hash = Convert.FromBase64String(parts[3]);
            if (salt.Length < 8 || hash.Length != HashBytes) return null;
            return new Entry(SHA256.HashData(Encoding.UTF8.GetBytes(user)), iterations, salt, hash);
        }
        catch (FormatException)
        {
            return null;
        }
    }

    private sealed record Entry(byte[] UserHash, int Iterations, byte[] Salt, byte[] Hash);
}
