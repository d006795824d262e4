using System.Text.Json;
using System.Text.Json.Serialization;

namespace Gateway.Host.Health;

/// <summary>The status file's JSON (camelCase, indented), generated at build time so the native build needs no reflection.</summary>
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, WriteIndented = true)]
[JsonSerializable(typeof(ServiceStatus))]
internal sealed partial class ServiceStatusJsonContext : JsonSerializerContext;
