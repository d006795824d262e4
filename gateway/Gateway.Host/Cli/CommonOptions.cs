using System.CommandLine;

namespace Gateway.Host.Cli;

/// <summary>Options every command accepts.</summary>
internal static class CommonOptions
{
    public static readonly Option<string?> Config = new("--config")
    {
        Description = $"Configuration file [default: {Configuration.GatewayPaths.DefaultConfigFile} if present]; conf.d/*.json beside it is read too, in name order",
        HelpName = "FILE",
        Recursive = true,
    };

    public static readonly Option<string?> DataDir = new("--data-dir")
    {
        Description = "Data directory holding gateway.db [default: Storage:DataDir, else $STATE_DIRECTORY, else /var/lib/coap-gateway for the installed binary, ./data otherwise]",
        HelpName = "DIR",
        Recursive = true,
    };

    public static Option<bool> Json() => new("--json") { Description = "Print JSON instead of a table" };
}
