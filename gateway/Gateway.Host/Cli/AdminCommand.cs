using System.CommandLine;
using Gateway.Host.Admin;

namespace Gateway.Host.Cli;

/// <summary>
/// <c>admin set-password USER</c>: adds or replaces USER's line in the admin page's credential file
/// (<c>--file</c>, else <c>Admin:CredentialFile</c>). The password is read from standard input (one
/// line), never from the command line, where other users could see it in the process list.
/// </summary>
internal static class AdminCommand
{
    public static Command Create()
    {
        var admin = new Command("admin", "The admin status page's credentials (README, \"Status page\")");
        admin.Add(SetPassword());
        return admin;
    }

    private static Command SetPassword()
    {
        var user = new Argument<string>("USER") { Description = "User name for HTTP basic auth (no colon, no spaces)" };
        var file = new Option<string?>("--file") { Description = "Credential file to write (default: Admin:CredentialFile)", HelpName = "PATH" };
        var command = new Command("set-password", "Read a password from standard input and store its salted PBKDF2 hash for USER") { user, file };
        command.TreatUnmatchedTokensAsErrors = false;
        command.SetAction(async (parse, cancellationToken) =>
        {
            var name = parse.GetRequiredValue(user);
            if (!AdminCredentials.IsValidUser(name)) throw new CommandFailedException($"'{name}' is not a valid user name (1 to 64 characters, no colon, no spaces)");
            var context = CliContext.Create(parse);
            var path = parse.GetValue(file) ?? context.Configuration[$"{AdminOptions.Section}:{nameof(AdminOptions.CredentialFile)}"];
            if (string.IsNullOrWhiteSpace(path)) throw new CommandFailedException("no credential file: pass --file PATH or set Admin:CredentialFile");
            if (!Console.IsInputRedirected) await Console.Error.WriteAsync($"password for {name}: ");
            var password = await Console.In.ReadLineAsync(cancellationToken);
            if (string.IsNullOrEmpty(password)) throw new CommandFailedException("no password on standard input");
            if (password.Length < 8) throw new CommandFailedException("the password is shorter than 8 characters");

            var kept = File.Exists(path) ? File.ReadAllLines(path).Where(l => !l.StartsWith(name + ":", StringComparison.Ordinal)) : [];
            var temporary = path + ".tmp";
            // Written owner-only before the content goes in, then renamed over the old file (never half a file).
            var options = new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write };
            if (!OperatingSystem.IsWindows()) options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
            File.Delete(temporary);
            await using (var stream = new FileStream(temporary, options))
            await using (var writer = new StreamWriter(stream))
            {
                foreach (var line in kept) await writer.WriteLineAsync(line);
                await writer.WriteLineAsync(AdminCredentials.HashLine(name, password));
            }
            File.Move(temporary, path, overwrite: true);
            await context.Output.WriteLineAsync($"{name}: password set in {path}");
            return 0;
        });
        return command;
    }
}
