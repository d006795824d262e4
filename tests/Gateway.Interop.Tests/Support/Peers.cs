namespace Gateway.Interop.Tests.Support;

/// <summary>
/// Finds the real peers the interop tests drive. A missing peer fails the test with a message
/// saying how to get it: interop tests that silently pass without their peer prove nothing.
/// </summary>
public static class Peers
{
    public const string LibcoapClientCommand = "coap-client-notls";
    public const string CoapCliVariable = "GATEWAY_TESTS_COAP_CLI";

    /// <summary>libcoap's client (Debian libcoap3-bin).</summary>
    public static string LibcoapClient =>
        FindOnPath(LibcoapClientCommand)
        ?? throw new Xunit.Sdk.XunitException($"{LibcoapClientCommand} is not installed: tests/run installs it (apt-get install libcoap3-bin).");

    /// <summary>npm's coap-cli 0.7.1 (bin <c>coap</c>): from <c>GATEWAY_TESTS_COAP_CLI</c>, else the repo's <c>.tools</c> folder.</summary>
    public static string CoapCli
    {
        get
        {
            string? configured = Environment.GetEnvironmentVariable(CoapCliVariable);
            string path = string.IsNullOrEmpty(configured)
                ? Path.Combine(RepositoryRoot, ".tools", "node_modules", ".bin", "coap")
                : configured;
            if (!File.Exists(path))
                throw new Xunit.Sdk.XunitException($"The npm coap CLI is not installed at {path}: tests/run installs it (npm install coap-cli@0.7.1 into .tools).");
            if (FindOnPath("node") is null)
                throw new Xunit.Sdk.XunitException("node is not installed, so the npm coap CLI cannot run: tests/run installs coap-cli but needs Node.js.");
            return path;
        }
    }

    /// <summary>The directory holding Gateway.sln, found upwards from the test assembly.</summary>
    public static string RepositoryRoot
    {
        get
        {
            for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
                if (File.Exists(Path.Combine(dir.FullName, "Gateway.sln"))) return dir.FullName;
            throw new InvalidOperationException($"No Gateway.sln above {AppContext.BaseDirectory}");
        }
    }

    private static string? FindOnPath(string command)
    {
        foreach (var dir in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
        {
            string candidate = Path.Combine(dir, command);
            if (File.Exists(candidate)) return candidate;
        }
        return null;
    }
}
