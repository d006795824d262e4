using System.CommandLine;
using System.CommandLine.Help;
using Gateway.Host.Configuration;

namespace Gateway.Host.Cli;

/// <summary>
/// The <c>coap-gateway</c> command line (README, "Command line"). Exit codes: 0 success, 2 bad
/// arguments or configuration (one line on stderr naming the argument, file or key), 1 the command
/// could not be carried out or the service failed at run time.
/// </summary>
public static class GatewayCommandLine
{
    public static RootCommand Create()
    {
        var root = new RootCommand("coap-gateway: CoAP/HTTP devices to an MQTT cloud, with store-and-forward in SQLite.\n" +
            "Without a command, runs the service. Configuration: --config FILE, conf.d/*.json, COAPGW_Section__Key environment variables, --Section:Key=value.");
        root.Add(CommonOptions.Config);
        root.Add(CommonOptions.DataDir);
        root.Add(RunCommand.Create());
        root.Add(DevicesCommand.Create());
        root.Add(ContentCommand.Create());
        root.Add(FirmwareCommand.Create());
        root.Add(DeadLetterCommand.Create());
        root.Add(AdminCommand.Create());
        root.Add(StatusCommand.Create());
        RunCommand.Configure(root);
        return root;
    }

    public static async Task<int> InvokeAsync(string[] args, TextWriter? output = null, TextWriter? error = null)
    {
        output ??= Console.Out;
        error ??= Console.Error;
        // Response files (@file) are not part of the contract, and a device name may start with '@'.
        var parse = Create().Parse(args, new ParserConfiguration { ResponseFileTokenReplacer = null });
        if (parse.Errors.Count > 0 && parse.Action is not HelpAction)
        {
            await error.WriteLineAsync($"coap-gateway: {parse.Errors[0].Message.ReplaceLineEndings(" ")} (see --help)");
            return 2;
        }
        if (parse.Action is HelpAction)
        {
            await output.WriteAsync(await HelpAsync(parse));
            return 0;
        }
        try
        {
            return await parse.InvokeAsync(new InvocationConfiguration
            {
                Output = output,
                Error = error,
                EnableDefaultExceptionHandler = false,
                // The host handles SIGTERM/SIGINT itself (graceful stop); the parser must not race it.
                ProcessTerminationTimeout = null,
            });
        }
        catch (ConfigurationException e)
        {
            foreach (var line in e.Message.Split('\n')) await error.WriteLineAsync($"coap-gateway: {line}");
            return 2;
        }
        catch (CommandFailedException e)
        {
            await error.WriteLineAsync($"coap-gateway: {e.Message.ReplaceLineEndings(" ")}");
            return 1;
        }
    }

    // Commands take --Section:Key=value overrides as unmatched tokens, for which System.CommandLine's help
    // adds a generic "Additional Arguments: Arguments passed to the application that is being run." section
    // (its layout cannot be customised from outside in 2.0.0). Our descriptions say what the overrides are.
    private static async Task<string> HelpAsync(ParseResult parse)
    {
        using var help = new StringWriter();
        await parse.InvokeAsync(new InvocationConfiguration { Output = help, Error = help });
        var text = help.ToString();
        var cut = text.IndexOf("Additional Arguments:", StringComparison.Ordinal);
        return cut < 0 ? text : text[..cut].TrimEnd() + Environment.NewLine;
    }
}
