using Microsoft.Extensions.Logging;

namespace Gateway.Bridge.Logs;

/// <summary>One warning or error of the gateway's own log, as it goes upstream (the rendered message never holds a secret: logging rule).</summary>
public sealed record CloudLogEntry(DateTimeOffset At, LogLevel Level, int EventId, string Category, string Message);
