using System.Text.Json;

namespace Gateway.Host.Cli;

/// <summary>JSON output of the <c>--json</c> options: camelCase, indented, stable for scripts.</summary>
internal static class CliJson
{
    public static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web) { WriteIndented = true };
}
