using System.Diagnostics.Metrics;
using Gateway.Host.Metrics;
using Gateway.Host.Tests.Support;
using Microsoft.Extensions.DependencyInjection;

namespace Gateway.Host.Tests;

/// <summary>The exporter on its own: instrument kinds, naming, label escaping, and which meters it exports.</summary>
public sealed class PrometheusExporterTests
{
    [Fact]
    public async Task ExportsTheGatewayMeters_WithEveryInstrumentKind()
    {
        using var services = new ServiceCollection().AddMetrics().BuildServiceProvider();
        var factory = services.GetRequiredService<IMeterFactory>();
        using var exporter = new PrometheusExporter(factory);
        var meter = factory.Create("CoapGateway.Bridge");
        var publishes = meter.CreateCounter<long>("coapgw.bridge.publishes", description: "PUBLISH packets sent");
        var backlog = meter.CreateUpDownCounter<int>("coapgw.bridge.in_flight");
        var latency = meter.CreateHistogram<double>("coapgw.bridge.puback_seconds");
        meter.CreateObservableGauge("coapgw.bridge.weird", () => new Measurement<double>(1.5, new KeyValuePair<string, object?>("peer", "a\"b\\c\nd")));
        var foreign = factory.Create("SomeLibrary");
        foreign.CreateCounter<long>("library.calls").Add(5);
        using var unscoped = new Meter("CoapGateway.Plain");
        unscoped.CreateObservableCounter("plain.turns", () => 7L);
        using var otherHost = new ServiceCollection().AddMetrics().BuildServiceProvider();
        otherHost.GetRequiredService<IMeterFactory>().Create("CoapGateway").CreateObservableGauge("coapgw.other_host", () => 1);

        publishes.Add(2, new KeyValuePair<string, object?>("result", "ok"));
        publishes.Add(3, new KeyValuePair<string, object?>("result", "ok"));
        publishes.Add(1, new KeyValuePair<string, object?>("result", "failed"));
        backlog.Add(4);
        backlog.Add(-1);
        latency.Record(0.25);
        latency.Record(0.75);

        var text = await exporter.ScrapeAsync();
        var samples = Exposition.Parse(text);
        Assert.Equal(5, samples.Value("coapgw_bridge_publishes_total", ("result", "ok")));
        Assert.Equal(1, samples.Value("coapgw_bridge_publishes_total", ("result", "failed")));
        Assert.Equal(3, samples.Value("coapgw_bridge_in_flight"));
        Assert.Equal(1.0, samples.Value("coapgw_bridge_puback_seconds_sum"));
        Assert.Equal(2, samples.Value("coapgw_bridge_puback_seconds_count"));
        Assert.Equal(1.5, samples.Value("coapgw_bridge_weird", ("peer", "a\"b\\c\nd")));
        Assert.Contains("# HELP coapgw_bridge_publishes_total PUBLISH packets sent\n", text, StringComparison.Ordinal);
        Assert.Contains("# TYPE coapgw_bridge_publishes_total counter\n", text, StringComparison.Ordinal);
        Assert.Contains("# TYPE coapgw_bridge_puback_seconds summary\n", text, StringComparison.Ordinal);
        Assert.DoesNotContain("library_calls", text, StringComparison.Ordinal);
        Assert.DoesNotContain("coapgw_other_host", text, StringComparison.Ordinal);
        // A plain meter named CoapGateway.* is exported, its names prefixed.
        Assert.Equal(7, samples.Value("coapgw_plain_turns_total"));
    }

    [Theory]
    [InlineData(0.0, "0")]
    [InlineData(42.0, "42")]
    [InlineData(2.5, "2.5")]
    [InlineData(double.NaN, "NaN")]
    [InlineData(double.PositiveInfinity, "+Inf")]
    [InlineData(1e20, "1E+20")]
    public void Values_AreFormattedAsTheFormatExpects(double value, string expected) =>
        Assert.Equal(expected, PrometheusExporter.FormatValue(value));
}
