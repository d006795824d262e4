using System.CommandLine;
using Gateway.Host.Configuration;
using Gateway.Host.Storage;
using Gateway.Storage;
using Microsoft.Extensions.Configuration;

namespace Gateway.Host.Cli;

/// <summary>What a command needs from its parse result: the configuration (same sources and precedence as the service) and the database.</summary>
internal sealed class CliContext
{
    private CliContext(IConfiguration configuration, TextWriter output)
    {
        Configuration = configuration;
        Output = output;
    }

    public IConfiguration Configuration { get; }

    public TextWriter Output { get; }

    /// <exception cref="ConfigurationException">Bad override, missing or malformed configuration file.</exception>
    public static CliContext Create(ParseResult parse)
    {
        var overrides = ConfigOverrides.Check(parse.UnmatchedTokens);
        var configuration = GatewayConfiguration.Build(parse.GetValue(CommonOptions.Config), parse.GetValue(CommonOptions.DataDir), overrides);
        return new CliContext(configuration, parse.InvocationConfiguration.Output);
    }

    /// <summary>The storage options, bound and validated like the service does.</summary>
    public StorageOptions StorageOptions()
    {
        StorageOptions options;
        try
        {
            options = Configuration.GetSection(StorageOptionsValidation.Section).Get<StorageOptions>() ?? new StorageOptions();
        }
        catch (InvalidOperationException e) when (StartupProblems.Describe(e) is { Count: > 0 } problems)
        {
            throw new ConfigurationException(string.Join('\n', problems), e);
        }
        var invalid = StorageOptionsValidation.Validate(options).ToList();
        if (invalid.Count > 0) throw new ConfigurationException(string.Join('\n', invalid));
        return options;
    }

    /// <summary>Opens the database the service uses (creating and migrating it if this is the first use, as the service would).</summary>
    /// <param name="mustExist">
    /// For commands that only read (or remove): they never create a database. An empty one in the
    /// wrong directory would only hide that the command looked in the wrong place.
    /// </param>
    public SqliteDatabase OpenDatabase(bool mustExist = false)
    {
        var options = StorageOptions();
        if (mustExist && !File.Exists(options.DatabasePath))
        {
            throw new CommandFailedException(
                $"no gateway database in {options.DataDir}; name the service's data directory with --data-dir DIR " +
                $"(or Storage:DataDir; the installed service's is {GatewayPaths.InstalledDataDir})");
        }
        // The service runs its integrity check at start; a CLI command beside it should not scan the whole file again.
        options.IntegrityCheckOnOpen = IntegrityCheck.None;
        try
        {
            return SqliteDatabase.Open(options);
        }
        catch (StorageCorruptException e)
        {
            throw new CommandFailedException(e.Message, e);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or Microsoft.Data.Sqlite.SqliteException)
        {
            throw new CommandFailedException($"cannot open {options.DatabasePath}: {e.Message.ReplaceLineEndings(" ")}", e);
        }
    }
}
