using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Reflection;
using Gateway.Bridge;
using Gateway.Bridge.Firmware;
using Gateway.Devices.Exosite;
using Gateway.Devices.Http;
using Gateway.Devices.ThingsBoard;
using Gateway.Host.Coap;
using Gateway.Host.Http;
using Gateway.Host.Storage;
using Gateway.Mqtt.Client;
using Gateway.Storage;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;

namespace Gateway.Host.Configuration;

/// <summary>
/// The keys the gateway reads, derived from the options classes bound to each section, and the
/// check that every configured key is one of them. A typo (<c>Mqtt:Hots</c>) would otherwise be
/// ignored by the binder and leave the gateway buffering forever with no word why.
/// </summary>
/// <remarks>
/// Every top-level section is the gateway's own except <c>Logging</c>, which belongs to
/// Microsoft.Extensions.Logging: there only the level values are checked, since an unknown level
/// makes the logger factory throw at the first log line (a crash under systemd, a restart loop).
/// </remarks>
public static class ConfigurationSchema
{
    private const string LoggingSection = "Logging";

    // Section → the options classes bound from it; the union of their properties is what the section accepts.
    // Nested classes have their own row (the '*' of a list stands for any index), so every type here is named
    // where the trimmer sees it and keeps its property metadata for the native build.
    private static readonly BoundSection[] Bound =
    [
        new(CoapListenerOptions.Section, typeof(CoapListenerOptions)),
        new(CoapDtlsOptions.Section, typeof(CoapDtlsOptions)),
        new(CoapMulticastOptions.Section, typeof(CoapMulticastOptions)),
        new(HttpOptions.Section, typeof(HttpOptions)),
        new(HttpApiOptions.Section, typeof(HttpApiOptions)),
        new(HttpTlsOptions.Section, typeof(HttpTlsOptions)),
        new(StorageOptionsValidation.Section, typeof(StorageOptions)),
        new(StorageOptionsValidation.Section, typeof(StorageMaintenanceOptions)),
        new("Mqtt", typeof(MqttClientOptions)),
        new("Mqtt:Tls", typeof(MqttTlsOptions)),
        new(BridgeOptions.Section, typeof(BridgeOptions)),
        new(FirmwareOptions.Section, typeof(FirmwareOptions)),
        new("Provisioning", typeof(ProvisioningOptions)),
        new("Provisioning:Profiles:*", typeof(ProvisioningProfile)),
        new("Exosite", typeof(ExositeOptions)),
        new(GatewayOptions.Section, typeof(GatewayOptions)),
        new(Admin.AdminOptions.Section, typeof(Admin.AdminOptions)),
    ];

    private static readonly Lazy<IReadOnlyList<string>> LazyKeys = new(BuildKeys);

    /// <summary>Every key the gateway reads, <c>*</c> standing for a list index or a dictionary key.</summary>
    public static IReadOnlyList<string> Keys => LazyKeys.Value;

    /// <summary>One line per configured key the gateway does not know or level it cannot use, naming where it was set.</summary>
    public static IReadOnlyList<string> Check(IConfigurationRoot configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var known = new HashSet<string>(Keys, StringComparer.OrdinalIgnoreCase);
        var problems = new List<string>();
        foreach (var (key, value) in configuration.AsEnumerable().OrderBy(p => p.Key, StringComparer.OrdinalIgnoreCase))
        {
            // Sections themselves have no value; only leaves were set by someone.
            if (value is null) continue;
            if (key.StartsWith(LoggingSection + ":", StringComparison.OrdinalIgnoreCase))
            {
                if (IsLogLevelKey(key) && !IsLogLevel(value))
                {
                    problems.Add($"{key}: '{value}' is not a log level ({string.Join(", ", LogLevels)}){Origin(configuration, key)}");
                }
                continue;
            }
            if (known.Contains(Pattern(key))) continue;
            var hint = Nearest(Pattern(key)) is { } near ? $" (did you mean {near}?)" : "";
            problems.Add($"{key}: unknown key{hint}{Origin(configuration, key)}");
        }
        return problems;
    }

    /// <summary>The names Microsoft.Extensions.Logging accepts for a level, in order of verbosity.</summary>
    public static IReadOnlyList<string> LogLevels { get; } = Enum.GetNames<LogLevel>();

    // Logging:LogLevel:Category and Logging:Provider:LogLevel:Category.
    private static bool IsLogLevelKey(string key)
    {
        var parts = key.Split(':');
        return parts.Length >= 3 && (parts[1].Equals("LogLevel", StringComparison.OrdinalIgnoreCase)
            || (parts.Length >= 4 && parts[2].Equals("LogLevel", StringComparison.OrdinalIgnoreCase)));
    }

    private static bool IsLogLevel(string value) => LogLevels.Contains(value.Trim(), StringComparer.OrdinalIgnoreCase);

    // List indices and dictionary keys become '*', the way Keys spells them.
    private static string Pattern(string key)
    {
        var parts = key.Split(':');
        for (var i = 1; i < parts.Length; i++)
        {
            if (int.TryParse(parts[i], NumberStyles.None, CultureInfo.InvariantCulture, out _)) parts[i] = "*";
        }
        var pattern = string.Join(':', parts);
        // A dictionary accepts any key: match it against the '*' spelling too.
        foreach (var known in Keys)
        {
            if (known.Contains('*', StringComparison.Ordinal) && Matches(known, pattern)) return known;
        }
        return pattern;
    }

    private static bool Matches(string known, string key)
    {
        var a = known.Split(':');
        var b = key.Split(':');
        if (a.Length != b.Length) return false;
        for (var i = 0; i < a.Length; i++)
        {
            if (a[i] != "*" && !a[i].Equals(b[i], StringComparison.OrdinalIgnoreCase)) return false;
        }
        return true;
    }

    /// <summary>The known key closest to <paramref name="key"/> by edit distance, if one is close enough to be the intended one.</summary>
    public static string? Nearest(string key)
    {
        ArgumentNullException.ThrowIfNull(key);
        string? best = null;
        var bestDistance = int.MaxValue;
        foreach (var known in Keys)
        {
            var distance = Distance(known.ToUpperInvariant(), key.ToUpperInvariant());
            if (distance < bestDistance)
            {
                best = known;
                bestDistance = distance;
            }
        }
        // Two edits, or a third of the last segment for long names: "Hots" → "Host", not "Tls" → "Port".
        var last = key[(key.LastIndexOf(':') + 1)..];
        return bestDistance <= Math.Max(2, last.Length / 3) ? best : null;
    }

    private static int Distance(string a, string b)
    {
        var previous = new int[b.Length + 1];
        var current = new int[b.Length + 1];
        for (var j = 0; j <= b.Length; j++) previous[j] = j;
        for (var i = 1; i <= a.Length; i++)
        {
            current[0] = i;
            for (var j = 1; j <= b.Length; j++)
            {
                var substitution = previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1);
                current[j] = Math.Min(substitution, Math.Min(previous[j], current[j - 1]) + 1);
            }
            (previous, current) = (current, previous);
        }
        return previous[b.Length];
    }

    // The last source that sets the key is the one whose value counts, so it is the one to name.
    private static string Origin(IConfigurationRoot configuration, string key)
    {
        foreach (var provider in configuration.Providers.Reverse())
        {
            if (!provider.TryGet(key, out _)) continue;
            return provider switch
            {
                FileConfigurationProvider file => $"; set in {file.Source.FileProvider?.GetFileInfo(file.Source.Path ?? "").PhysicalPath ?? file.Source.Path}",
                Microsoft.Extensions.Configuration.EnvironmentVariables.EnvironmentVariablesConfigurationProvider =>
                    $"; set by the environment variable {GatewayConfiguration.EnvironmentPrefix}{key.Replace(":", "__", StringComparison.Ordinal)}",
                Microsoft.Extensions.Configuration.CommandLine.CommandLineConfigurationProvider => "; set on the command line",
                _ => "",
            };
        }
        return "";
    }

    private static IReadOnlyList<string> BuildKeys()
    {
        var keys = new List<string>();
        foreach (var bound in Bound) AddKeys(bound, keys);
        return keys.Distinct(StringComparer.OrdinalIgnoreCase).Order(StringComparer.Ordinal).ToList();
    }

    private static void AddKeys(BoundSection bound, List<string> keys)
    {
        foreach (var property in bound.Type.GetProperties(BindingFlags.Public | BindingFlags.Instance))
        {
            if (property.GetIndexParameters().Length > 0 || property.GetMethod is not { IsPublic: true }) continue;
            var key = $"{bound.Section}:{property.Name}";
            var type = property.PropertyType;
            // The binder sets public setters, and fills get-only objects and collections in place; computed leaves are not keys.
            if (IsLeaf(type))
            {
                if (property.SetMethod is { IsPublic: true }) keys.Add(key);
            }
            else if (ElementType(type) is { } element)
            {
                // A list of leaves: any index. A list of objects: the element type has its own row.
                if (IsLeaf(element)) keys.Add(key + ":*");
            }
            // Any other class is a nested section with its own row.
        }
    }

    private static bool IsLeaf(Type type)
    {
        type = Nullable.GetUnderlyingType(type) ?? type;
        return type.IsPrimitive || type.IsEnum || type == typeof(string) || type == typeof(decimal) || type == typeof(TimeSpan)
            || type == typeof(DateTimeOffset) || type == typeof(DateTime) || type == typeof(Uri) || type == typeof(Guid);
    }

    private sealed class BoundSection(string section, [DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicProperties)] Type type)
    {
        public string Section { get; } = section;

        [DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicProperties)]
        public Type Type { get; } = type;
    }

    // Dictionaries bind any key, lists and sets an index: both spelled '*'.
    private static Type? ElementType(Type type)
    {
        if (type.IsArray) return type.GetElementType();
        if (!type.IsGenericType) return null;
        var arguments = type.GetGenericArguments();
        var definition = type.GetGenericTypeDefinition();
        if (arguments.Length == 2 && (definition == typeof(Dictionary<,>) || definition == typeof(IDictionary<,>) || definition == typeof(IReadOnlyDictionary<,>))) return arguments[1];
        if (arguments.Length == 1 && typeof(System.Collections.IEnumerable).IsAssignableFrom(type)) return arguments[0];
        return null;
    }
}
