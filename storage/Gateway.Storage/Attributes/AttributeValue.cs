namespace Gateway.Storage.Attributes;

/// <summary>One attribute: its key, its value as JSON text, and when the gateway last stored it.</summary>
public sealed record AttributeValue(string Key, string Json, DateTimeOffset Updated);
