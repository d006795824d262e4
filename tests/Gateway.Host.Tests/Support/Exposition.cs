using System.Globalization;
using System.Text.RegularExpressions;

namespace Gateway.Host.Tests.Support;

/// <summary>
/// A strict reader of the Prometheus text exposition format 0.0.4: every line must be a HELP, a
/// TYPE or a sample; a family's TYPE comes once and before its samples, which are contiguous;
/// names and label names are valid, label values properly quoted and escaped, values floats;
/// no two samples share a name and label set; the text ends with a newline.
/// </summary>
public static partial class Exposition
{
    public sealed record Sample(string Name, IReadOnlyDictionary<string, string> Labels, double Value);

    public static IReadOnlyList<Sample> Parse(string text)
    {
        if (text.Length > 0 && !text.EndsWith('\n')) throw new FormatException("the exposition does not end with a newline");
        var samples = new List<Sample>();
        var types = new Dictionary<string, string>();
        var helped = new HashSet<string>();
        var seen = new HashSet<string>();
        var finished = new HashSet<string>();
        string? current = null;
        var lines = text.Split('\n');
        for (var n = 0; n < lines.Length - 1; n++)
        {
            var line = lines[n];
            string Where() => $"line {n + 1}: '{line}'";
            if (line.StartsWith('#'))
            {
                if (Help().Match(line) is { Success: true } help)
                {
                    if (!helped.Add(help.Groups[1].Value)) throw new FormatException($"second HELP for a family, {Where()}");
                    continue;
                }
                var type = Type().Match(line);
                if (!type.Success) throw new FormatException($"malformed comment, {Where()}");
                var family = type.Groups[1].Value;
                if (!types.TryAdd(family, type.Groups[2].Value)) throw new FormatException($"second TYPE for a family, {Where()}");
                if (seen.Any(s => FamilyOf(s.Split('{')[0], types) == family)) throw new FormatException($"TYPE after samples of its family, {Where()}");
                if (current is not null) finished.Add(current);
                current = family;
                continue;
            }
            var match = SampleLine().Match(line);
            if (!match.Success) throw new FormatException($"not a sample, {Where()}");
            var name = match.Groups["name"].Value;
            var familyName = FamilyOf(name, types);
            if (!types.ContainsKey(familyName)) throw new FormatException($"sample without a TYPE, {Where()}");
            if (familyName != current || finished.Contains(familyName)) throw new FormatException($"samples of a family are not contiguous, {Where()}");
            if (types[familyName] == "counter" && !name.EndsWith("_total", StringComparison.Ordinal)) throw new FormatException($"counter without _total, {Where()}");
            var labels = new Dictionary<string, string>();
            foreach (Match label in Label().Matches(match.Groups["labels"].Value))
            {
                if (!labels.TryAdd(label.Groups[1].Value, Unescape(label.Groups[2].Value))) throw new FormatException($"label given twice, {Where()}");
            }
            if (Label().Replace(match.Groups["labels"].Value, "").Replace(",", "", StringComparison.Ordinal).Length != 0) throw new FormatException($"malformed labels, {Where()}");
            if (!seen.Add(name + "{" + string.Join(",", labels.OrderBy(l => l.Key, StringComparer.Ordinal).Select(l => $"{l.Key}={l.Value}")) + "}"))
                throw new FormatException($"duplicate series, {Where()}");
            samples.Add(new Sample(name, labels, ParseValue(match.Groups["value"].Value, Where)));
        }
        return samples;
    }

    private static string FamilyOf(string sample, Dictionary<string, string> types)
    {
        foreach (var suffix in new[] { "_sum", "_count", "_bucket" })
        {
            if (sample.EndsWith(suffix, StringComparison.Ordinal) && types.TryGetValue(sample[..^suffix.Length], out var t) && t is "summary" or "histogram")
                return sample[..^suffix.Length];
        }
        return sample;
    }

    private static double ParseValue(string text, Func<string> where) => text switch
    {
        "NaN" => double.NaN,
        "+Inf" => double.PositiveInfinity,
        "-Inf" => double.NegativeInfinity,
        _ => double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var v) ? v : throw new FormatException($"bad value, {where()}"),
    };

    private static string Unescape(string value) => Regex.Replace(value, @"\\(.)", m => m.Groups[1].Value == "n" ? "\n" : m.Groups[1].Value);

    public static double Value(this IReadOnlyList<Sample> samples, string name, params (string Key, string Value)[] labels) =>
        samples.Where(s => s.Name == name && labels.All(l => s.Labels.TryGetValue(l.Key, out var v) && v == l.Value)).Select(s => s.Value).DefaultIfEmpty(0).Sum();

    [GeneratedRegex(@"^# HELP ([a-zA-Z_:][a-zA-Z0-9_:]*) .*$")]
    private static partial Regex Help();

    [GeneratedRegex(@"^# TYPE ([a-zA-Z_:][a-zA-Z0-9_:]*) (counter|gauge|summary|histogram|untyped)$")]
    private static partial Regex Type();

    [GeneratedRegex(@"^(?<name>[a-zA-Z_:][a-zA-Z0-9_:]*)(\{(?<labels>[^}]*)\})? (?<value>\S+)( -?[0-9]+)?$")]
    private static partial Regex SampleLine();

    [GeneratedRegex(@"([a-zA-Z_][a-zA-Z0-9_]*)=""((?:[^""\\\n]|\\[\\""n])*)""")]
    private static partial Regex Label();
}
