using System.Text.Json;
using Microsoft.Extensions.Configuration;

namespace Gateway.Host.Configuration;

/// <summary>
/// Builds the configuration every command reads, in increasing precedence: the JSON file
/// (<c>--config</c>, default <see cref="GatewayPaths.DefaultConfigFile"/> if it exists), then
/// <c>conf.d/*.json</c> beside it in ordinal name order, then <c>COAPGW_</c> environment variables,
/// then <c>--Section:Key=value</c> arguments. The data directory is resolved last and written
/// back as <c>Storage:DataDir</c>, so every consumer sees one absolute path. Every key must be one
/// the gateway reads (<see cref="ConfigurationSchema"/>).
/// </summary>
public static class GatewayConfiguration
{
    public const string EnvironmentPrefix = "COAPGW_";

    // The same leniency as Microsoft.Extensions.Configuration.Json, so a file that loads is a file that passes here.
    private static readonly JsonDocumentOptions JsonOptions = new() { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true };

    /// <param name="configFile"><c>--config</c>, or null for the default file.</param>
    /// <param name="dataDir"><c>--data-dir</c>, or null.</param>
    /// <param name="overrides"><c>--Section:Key=value</c> tokens (already checked by <see cref="ConfigOverrides"/>).</param>
    /// <exception cref="ConfigurationException">A named file is missing, unreadable or not valid JSON; a key is unknown or a log level invalid.</exception>
    public static IConfigurationRoot Build(string? configFile, string? dataDir, IReadOnlyList<string> overrides)
    {
        var builder = new ConfigurationBuilder();
        foreach (var file in Files(configFile))
        {
            Check(file);
            builder.AddJsonFile(file, optional: false, reloadOnChange: false);
        }
        builder.AddEnvironmentVariables(EnvironmentPrefix);
        builder.AddCommandLine([.. overrides]);
        IConfigurationRoot root;
        try
        {
            root = builder.Build();
        }
        catch (InvalidDataException e)
        {
            // e.g. a key given twice in one file: the provider's message names the file and the key.
            throw new ConfigurationException(OneLine(e.InnerException?.Message ?? e.Message), e);
        }
        if (ConfigurationSchema.Check(root) is { Count: > 0 } problems) throw new ConfigurationException(string.Join('\n', problems));
        var resolved = GatewayPaths.ResolveDataDir(dataDir, root["Storage:DataDir"], Environment.GetEnvironmentVariable("STATE_DIRECTORY"));
        return new ConfigurationBuilder()
            .AddConfiguration(root)
            .AddInMemoryCollection([new("Storage:DataDir", resolved)])
            .Build();
    }

    /// <summary>The JSON files read, in order: the main file (if any), then its <c>conf.d/*.json</c> sorted by name.</summary>
    public static IReadOnlyList<string> Files(string? configFile)
    {
        var files = new List<string>();
        string main;
        if (configFile is not null)
        {
            main = Path.GetFullPath(configFile);
            if (!File.Exists(main)) throw new ConfigurationException($"--config: {main}: no such file");
            files.Add(main);
        }
        else
        {
            main = GatewayPaths.DefaultConfigFile;
            // No configuration at all is a supported set-up: the defaults listen and buffer.
            if (File.Exists(main)) files.Add(main);
        }
        var dropIns = Path.Combine(Path.GetDirectoryName(main)!, GatewayPaths.DropInDirectoryName);
        if (Directory.Exists(dropIns))
        {
            // Ordinal, not culture order: "10-site.json" before "20-mqtt.json" on every machine.
            files.AddRange(Directory.GetFiles(dropIns, "*.json").Order(StringComparer.Ordinal));
        }
        return files;
    }

    private static void Check(string file)
    {
        try
        {
            using var _ = JsonDocument.Parse(File.ReadAllBytes(file), JsonOptions);
        }
        catch (JsonException e)
        {
            var where = e.LineNumber is { } line ? $" at line {line + 1}" : "";
            throw new ConfigurationException($"{file}: not valid JSON{where}: {OneLine(e.Message)}", e);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ConfigurationException($"{file}: cannot read: {OneLine(e.Message)}", e);
        }
    }

    internal static string OneLine(string text)
    {
        var line = text.ReplaceLineEndings(" ").Trim();
        // System.Text.Json appends its own position ("LineNumber: 2 | BytePositionInLine: 4."); ours is shorter.
        var cut = line.IndexOf(" LineNumber:", StringComparison.Ordinal);
        return cut > 0 ? line[..cut] : line;
    }
}
