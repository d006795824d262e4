using System.Diagnostics.Metrics;
using System.Globalization;
using System.Text;

namespace Gateway.Host.Metrics;

/// <summary>
/// Writes every instrument of the meters named <c>CoapGateway</c> or <c>CoapGateway.*</c> in the
/// Prometheus text exposition format 0.0.4 (the OpenTelemetry and prometheus-net exporters are not
/// on the package mirror). Meters created by this service's <see cref="IMeterFactory"/> and plain
/// <c>new Meter("CoapGateway.X")</c> meters count; meters of another factory (another host in the
/// same process, e.g. a test) do not.
/// <list type="bullet">
/// <item>Observable instruments are read at scrape time; Counter/UpDownCounter measurements are summed
/// as they happen, Gauge keeps the last value, Histogram becomes a summary (sum and count, no quantiles).</item>
/// <item>Names: dots become underscores, a <c>coapgw_</c> prefix is added when missing; counters get <c>_total</c>. Tags become labels.</item>
/// </list>
/// </summary>
public sealed class PrometheusExporter : IDisposable
{
    public const string ContentType = "text/plain; version=0.0.4; charset=utf-8";

    private readonly MeterListener _listener = new();
    private readonly List<Family> _families = [];
    private readonly Lock _gate = new();
    private readonly SemaphoreSlim _scrape = new(1, 1);

    public PrometheusExporter(IMeterFactory factory)
    {
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            var meter = instrument.Meter.Name;
            // Only this service's meters: another host's factory in the same process is not ours to export.
            if (instrument.Meter.Scope is not null && !ReferenceEquals(instrument.Meter.Scope, factory)) return;
            if (meter != GatewayMetrics.MeterName && !meter.StartsWith(GatewayMetrics.MeterName + ".", StringComparison.Ordinal)) return;
            var family = new Family(instrument);
            lock (_gate) _families.Add(family);
            listener.EnableMeasurementEvents(instrument, family);
        };
        _listener.MeasurementsCompleted = (instrument, state) =>
        {
            lock (_gate) _families.Remove((Family)state!);
        };
        _listener.SetMeasurementEventCallback<byte>((i, v, t, s) => ((Family)s!).Record(v, t));
        _listener.SetMeasurementEventCallback<short>((i, v, t, s) => ((Family)s!).Record(v, t));
        _listener.SetMeasurementEventCallback<int>((i, v, t, s) => ((Family)s!).Record(v, t));
        _listener.SetMeasurementEventCallback<long>((i, v, t, s) => ((Family)s!).Record(v, t));
        _listener.SetMeasurementEventCallback<float>((i, v, t, s) => ((Family)s!).Record(v, t));
        _listener.SetMeasurementEventCallback<double>((i, v, t, s) => ((Family)s!).Record(v, t));
        _listener.SetMeasurementEventCallback<decimal>((i, v, t, s) => ((Family)s!).Record((double)v, t));
        _listener.Start();
    }

    /// <summary>Reads the observable instruments and renders every family.</summary>
    public async Task<string> ScrapeAsync(CancellationToken cancellationToken = default)
    {
        // One scrape at a time: observable values are reset, re-recorded and rendered as a unit.
        await _scrape.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            Family[] families;
            lock (_gate) families = [.. _families];
            foreach (var family in families) family.BeginScrape();
            _listener.RecordObservableInstruments();
            var text = new StringBuilder(4096);
            foreach (var group in families.GroupBy(f => f.Name))
            {
                var first = group.First();
                text.Append("# HELP ").Append(group.Key).Append(' ').Append(EscapeHelp(first.Help)).Append('\n');
                text.Append("# TYPE ").Append(group.Key).Append(' ').Append(first.Type).Append('\n');
                foreach (var family in group) family.Render(text);
            }
            return text.ToString();
        }
        finally
        {
            _scrape.Release();
        }
    }

    public void Dispose() => _listener.Dispose();

    private static string EscapeHelp(string text) => text.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\n", "\\n", StringComparison.Ordinal);

    internal static string EscapeLabelValue(string text) =>
        text.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal).Replace("\n", "\\n", StringComparison.Ordinal);

    internal static string FormatValue(double value) =>
        double.IsNaN(value) ? "NaN"
        : double.IsPositiveInfinity(value) ? "+Inf"
        : double.IsNegativeInfinity(value) ? "-Inf"
        : Math.Abs(value) < 1e15 && value == Math.Floor(value) ? ((long)value).ToString(CultureInfo.InvariantCulture)
        : value.ToString("R", CultureInfo.InvariantCulture);

    /// <summary>One instrument: its series by label set.</summary>
    private sealed class Family
    {
        private readonly Instrument _instrument;
        private readonly Dictionary<string, double> _values = [];
        private readonly Dictionary<string, long> _counts = [];
        private readonly Kind _kind;

        public Family(Instrument instrument)
        {
            _instrument = instrument;
            var type = instrument.GetType().GetGenericTypeDefinition();
            _kind = type == typeof(ObservableCounter<>) ? Kind.ObservableCounter
                : type == typeof(ObservableGauge<>) || type == typeof(ObservableUpDownCounter<>) ? Kind.ObservableGauge
                : type == typeof(Counter<>) ? Kind.Counter
                : type == typeof(UpDownCounter<>) ? Kind.UpDownCounter
                : type == typeof(Histogram<>) ? Kind.Histogram
                : Kind.Gauge;
            var name = Names.Sanitize(instrument.Name);
            if (!name.StartsWith("coapgw_", StringComparison.Ordinal)) name = "coapgw_" + name;
            if (_kind is Kind.Counter or Kind.ObservableCounter && !name.EndsWith("_total", StringComparison.Ordinal)) name += "_total";
            Name = name;
            Type = _kind switch
            {
                Kind.Counter or Kind.ObservableCounter => "counter",
                Kind.Histogram => "summary",
                _ => "gauge",
            };
            Help = string.IsNullOrEmpty(instrument.Description) ? instrument.Name : instrument.Description;
            if (!string.IsNullOrEmpty(instrument.Unit)) Help += $" (unit: {instrument.Unit})";
        }

        public string Name { get; }

        public string Type { get; }

        public string Help { get; }

        private bool Observable => _kind is Kind.ObservableCounter or Kind.ObservableGauge;

        public void BeginScrape()
        {
            if (!Observable) return;
            // Observable series are what the callbacks report now; a label set that disappeared is not repeated.
            lock (_values) _values.Clear();
        }

        public void Record(double value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
        {
            var labels = tags.IsEmpty ? "" : Labels(tags);
            lock (_values)
            {
                switch (_kind)
                {
                    case Kind.Counter or Kind.UpDownCounter:
                        _values[labels] = _values.GetValueOrDefault(labels) + value;
                        break;
                    case Kind.Histogram:
                        _values[labels] = _values.GetValueOrDefault(labels) + value;
                        _counts[labels] = _counts.GetValueOrDefault(labels) + 1;
                        break;
                    default:
                        // An observable callback may report the same label set twice; the exposition allows one sample per set.
                        _values[labels] = Observable && _kind == Kind.ObservableCounter ? _values.GetValueOrDefault(labels) + value : value;
                        break;
                }
            }
        }

        public void Render(StringBuilder text)
        {
            lock (_values)
            {
                foreach (var (labels, value) in _values.OrderBy(v => v.Key, StringComparer.Ordinal))
                {
                    if (_kind == Kind.Histogram)
                    {
                        text.Append(Name).Append("_sum").Append(labels).Append(' ').Append(FormatValue(value)).Append('\n');
                        text.Append(Name).Append("_count").Append(labels).Append(' ').Append(FormatValue(_counts[labels])).Append('\n');
                    }
                    else
                    {
                        text.Append(Name).Append(labels).Append(' ').Append(FormatValue(value)).Append('\n');
                    }
                }
            }
        }

        private static string Labels(ReadOnlySpan<KeyValuePair<string, object?>> tags)
        {
            var pairs = new List<(string Name, string Value)>(tags.Length);
            foreach (var tag in tags)
            {
                pairs.Add((Names.Sanitize(tag.Key), Convert.ToString(tag.Value, CultureInfo.InvariantCulture) ?? ""));
            }
            pairs.Sort((a, b) => string.CompareOrdinal(a.Name, b.Name));
            var text = new StringBuilder("{");
            for (var i = 0; i < pairs.Count; i++)
            {
                if (i > 0) text.Append(',');
                text.Append(pairs[i].Name).Append("=\"").Append(EscapeLabelValue(pairs[i].Value)).Append('"');
            }
            return text.Append('}').ToString();
        }

        private enum Kind { ObservableCounter, ObservableGauge, Counter, UpDownCounter, Histogram, Gauge }
    }
}
