using System.Diagnostics.CodeAnalysis;
using System.Net;

namespace Gateway.Host.Admin;

/// <summary>
/// Where the admin listener binds: loopback by default, so only someone on the box (or through
/// <c>ssh -L</c>) sees the page; any other address means the network sees it, and then a credential is required.
/// </summary>
public sealed class AdminBind
{
    public const string LoopbackName = "loopback";

    private AdminBind(IReadOnlyList<IPAddress> addresses) => Addresses = addresses;

    /// <summary>The addresses to listen on; empty for the default loopback pair (127.0.0.1 and ::1).</summary>
    public IReadOnlyList<IPAddress> Addresses { get; }

    public bool IsLoopback => Addresses.All(IPAddress.IsLoopback);

    /// <summary>Whether a request must carry the credential: always, unless every address is a loopback one.</summary>
    public bool RequiresAuthentication => !IsLoopback;

    public static bool TryParse(string? text, [NotNullWhen(true)] out AdminBind? bind, [NotNullWhen(false)] out string? error)
    {
        bind = null;
        error = null;
        var value = text?.Trim() ?? "";
        if (value.Length == 0 || value.Equals(LoopbackName, StringComparison.OrdinalIgnoreCase))
        {
            bind = new AdminBind([]);
            return true;
        }
        var addresses = new List<IPAddress>();
        foreach (var part in value.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            if (!IPAddress.TryParse(part, out var address))
            {
                error = $"'{part}' is not an IP address or '{LoopbackName}'";
                return false;
            }
            addresses.Add(address);
        }
        bind = new AdminBind(addresses);
        return true;
    }

    public override string ToString() => Addresses.Count == 0 ? "127.0.0.1, ::1" : string.Join(", ", Addresses);
}
