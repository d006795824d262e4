using Microsoft.Extensions.Configuration;

namespace Gateway.Host.Admin;

/// <summary>The <c>Admin</c> configuration section: the read-only status page for the site operator.</summary>
public sealed class AdminOptions
{
    public const string Section = "Admin";

    /// <summary>False: nothing of the admin listener is composed (no port, no sampler, no page in memory).</summary>
    public bool Enabled { get; set; } = true;

    public int Port { get; set; } = 8081;

    /// <summary><c>loopback</c> (127.0.0.1 and ::1), or comma-separated IP addresses; anything else needs <see cref="CredentialFile"/>.</summary>
    public string Bind { get; set; } = AdminBind.LoopbackName;

    /// <summary>Lines <c>user:pbkdf2-sha256$iterations$salt$hash</c> (<c>coap-gateway admin set-password USER</c>); HTTP basic auth when set.</summary>
    public string? CredentialFile { get; set; }

    /// <summary>How often the graphs' ring is sampled; it keeps 360 samples (an hour at 10 s) and 288 of 30 times as long (a day).</summary>
    public int SampleSeconds { get; set; } = 10;

    /// <summary>Whether the configuration turns the admin listener on (read before the options are bound, to compose nothing when off).</summary>
    public static bool EnabledIn(IConfiguration configuration) =>
        !bool.TryParse(configuration[$"{Section}:{nameof(Enabled)}"]?.Trim(), out var enabled) || enabled;

    public IEnumerable<string> Validate(int httpPort)
    {
        if (!Enabled) yield break;
        if (Port is < 1 or > 65535) yield return $"{Section}:Port: {Port} is not a port";
        else if (Port == httpPort) yield return $"{Section}:Port: {Port} is Http:Port too; give the admin page its own port";
        if (SampleSeconds is < 1 or > 3600) yield return $"{Section}:SampleSeconds: {SampleSeconds} is not between 1 and 3600";
        if (!AdminBind.TryParse(Bind, out var bind, out var error))
        {
            yield return $"{Section}:Bind: {error}";
            yield break;
        }
        if (string.IsNullOrWhiteSpace(CredentialFile))
        {
            if (bind.RequiresAuthentication)
                yield return $"{Section}:Bind: '{Bind}' is not loopback, so Admin:CredentialFile is required (create it with: coap-gateway admin set-password USER)";
            yield break;
        }
        if (!AdminCredentials.TryLoad(CredentialFile, out _, out var problem)) yield return $"{Section}:CredentialFile: {problem}";
    }
}
