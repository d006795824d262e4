namespace Gateway.Storage.Dataports;

/// <summary>One value written to an Exosite dataport alias, with the time it was stored.</summary>
public sealed record DataportValue(string Alias, string Value, DateTimeOffset At);
