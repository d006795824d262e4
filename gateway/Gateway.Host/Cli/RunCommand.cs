using System.CommandLine;

namespace Gateway.Host.Cli;

/// <summary><c>run</c> (also the default without a subcommand): the service itself.</summary>
internal static class RunCommand
{
    public const string Description = "Run the gateway service (the default command); configuration overrides: --Section:Key=value";

    public static Command Create()
    {
        var command = new Command("run", Description);
        Configure(command);
        return command;
    }

    /// <summary>Makes <paramref name="command"/> run the service; the root command gets this too, so <c>run</c> may be left out.</summary>
    public static void Configure(Command command)
    {
        command.TreatUnmatchedTokensAsErrors = false;
        command.SetAction(async (parse, cancellationToken) =>
        {
            var context = CliContext.Create(parse);
            return await GatewayApplication.RunAsync(context.Configuration, cancellationToken: cancellationToken);
        });
    }
}
