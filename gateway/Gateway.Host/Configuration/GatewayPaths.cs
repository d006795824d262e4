namespace Gateway.Host.Configuration;

/// <summary>Where the gateway looks for its files (README, "Configuration").</summary>
public static class GatewayPaths
{
    /// <summary>The configuration file read when <c>--config</c> is not given (skipped if absent).</summary>
    public const string DefaultConfigFile = "/etc/coap-gateway/gateway.json";

    /// <summary>Drop-in directory name, next to the configuration file.</summary>
    public const string DropInDirectoryName = "conf.d";

    /// <summary>Data directory when neither <c>--data-dir</c>, <c>Storage:DataDir</c> nor <c>$STATE_DIRECTORY</c> names one.</summary>
    public const string FallbackDataDir = "data";

    /// <summary>The packaged service's state directory (the unit's <c>StateDirectory=coap-gateway</c>).</summary>
    public const string InstalledDataDir = "/var/lib/coap-gateway";

    /// <summary>
    /// Whether this executable is the packaged one (its files live under <c>/usr</c>); a checkout or a
    /// test run never does. The installed binary then defaults to the service's data directory, so
    /// <c>coap-gateway status</c> typed in any directory on the box looks at the running service.
    /// </summary>
    public static bool IsInstalled => AppContext.BaseDirectory.StartsWith("/usr/", StringComparison.Ordinal);

    /// <summary>
    /// The data directory, as an absolute path: <c>--data-dir</c>, else <c>Storage:DataDir</c>,
    /// else the first entry of <c>$STATE_DIRECTORY</c> (systemd's <c>StateDirectory=</c>), else
    /// <see cref="InstalledDataDir"/> for the packaged executable, else <c>./data</c> under the working
    /// directory (a developer's checkout; under systemd the working directory is <c>/</c>, which is why
    /// the unit sets <c>StateDirectory=</c>).
    /// </summary>
    public static string ResolveDataDir(string? commandLine, string? configured, string? stateDirectory) =>
        ResolveDataDir(commandLine, configured, stateDirectory, IsInstalled);

    public static string ResolveDataDir(string? commandLine, string? configured, string? stateDirectory, bool installed)
    {
        var chosen = !string.IsNullOrWhiteSpace(commandLine) ? commandLine
            : !string.IsNullOrWhiteSpace(configured) ? configured
            // systemd passes several directories separated by ':' when StateDirectory= lists several.
            : !string.IsNullOrWhiteSpace(stateDirectory) ? stateDirectory.Split(':', StringSplitOptions.RemoveEmptyEntries)[0]
            : installed ? InstalledDataDir : FallbackDataDir;
        return Path.GetFullPath(chosen);
    }
}
