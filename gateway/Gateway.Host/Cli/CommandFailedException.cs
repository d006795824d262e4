namespace Gateway.Host.Cli;

/// <summary>A command that was well formed but could not be carried out (unknown device, name taken); one line, exit 1.</summary>
public sealed class CommandFailedException(string message, Exception? inner = null) : Exception(message, inner);
