using System.Collections.Concurrent;
using System.Text;
using Gateway.Coap.Messages;
using Gateway.Devices.Refusals;
using Gateway.Devices.Tests.Exosite;
using Gateway.Devices.Tests.Http;
using Gateway.Devices.Tests.Support;
using Gateway.TestKit;
using Microsoft.Extensions.Logging;

namespace Gateway.Devices.Tests.Refusals;

/// <summary>
/// Issue 20.10: refused device requests leave a trace at the default level, bounded: one Warning per reason per
/// interval with the count and the first source, never a credential. Scripted on a manual clock.
/// </summary>
public sealed class RefusalLogTests
{
    private static readonly TimeSpan Minute = TimeSpan.FromSeconds(60);

    [Fact]
    public void Summary_OneWarningPerReasonPerInterval_WithCountAndFirstSource()
    {
        var time = new ManualTimeProvider();
        var logger = new ListLogger();
        using var log = new RefusalLog(time, logger);

        log.Report(RefusalKind.MalformedJson, "192.0.2.7");
        log.Report(RefusalKind.MalformedJson, "192.0.2.8");
        log.Report(RefusalKind.UnknownCredential, "198.51.100.1");
        log.Report(RefusalKind.MalformedJson, "192.0.2.7");
        time.Advance(Minute - TimeSpan.FromSeconds(1));
        Assert.Empty(logger.Entries);

        time.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(
            [
                "Refused 3 device requests in the last 60 s: malformed JSON payload (4.00 / HTTP 400); first from 192.0.2.7",
                "Refused 1 device requests in the last 60 s: unknown access token, CIK or provisioning key (4.01 / HTTP 401); first from 198.51.100.1",
            ],
            logger.Entries.Select(e => e.Message));
        Assert.All(logger.Entries, e => Assert.Equal((LogLevel.Warning, 315), (e.Level, e.EventId)));

        // A quiet interval writes nothing; the next one counts afresh and names its own first source.
        time.Advance(Minute);
        Assert.Equal(2, logger.Entries.Count);
        log.Report(RefusalKind.MalformedJson, "203.0.113.9");
        time.Advance(Minute);
        Assert.Equal("Refused 1 device requests in the last 60 s: malformed JSON payload (4.00 / HTTP 400); first from 203.0.113.9",
            logger.Entries.Last().Message);
        Assert.Equal(3, logger.Entries.Count);
    }

    [Fact]
    public void Dispose_WritesWhatWasCountedSinceTheLastSummary_AndStopsTheTimer()
    {
        var time = new ManualTimeProvider();
        var logger = new ListLogger();
        var log = new RefusalLog(time, logger, new RefusalLogOptions { Interval = TimeSpan.FromSeconds(5) });
        log.Report(RefusalKind.TooLarge, "192.0.2.1");
        log.Dispose();
        Assert.Equal(["Refused 1 device requests in the last 5 s: payload too large (HTTP 413); first from 192.0.2.1"], logger.Entries.Select(e => e.Message));
        Assert.Equal(0, time.ActiveTimers);
    }

    [Fact]
    public async Task ThingsBoard_BadJsonAndUnknownToken_OverCoapAndHttp_AreSummarised_WithoutTheToken()
    {
        using var gateway = new Support.Gateway();
        await using var http = await HttpHost.StartAsync(gateway);
        using var device = new CoapDevice(gateway.Server);
        var token = await gateway.AddDeviceAsync("Dev A", "SECRET_TOKEN_0123456789");
        // The in-memory device's address, as the dual-stack socket reports an IPv4 peer.
        const string Peer = "::ffff:192.0.2.10";

        Assert.Equal("4.00", Answer.Code(await device.PostAsync($"api/v1/{token}/telemetry", "{\"temperature\":")));
        Assert.Equal("4.01", Answer.Code(await device.PostAsync("api/v1/UNKNOWN_TOKEN_987654321/telemetry", "{\"t\":1}")));
        using var response = await http.Client.PostAsync($"api/v1/{token}/attributes", new StringContent("[1,", Encoding.UTF8, "application/json"));
        Assert.Equal(400, (int)response.StatusCode);
        Assert.DoesNotContain(gateway.Logs.Lines, l => l.Contains("Refused", StringComparison.Ordinal));

        gateway.Time.Advance(Minute);
        var summaries = gateway.Logs.Lines.Where(l => l.Contains(" 315 ", StringComparison.Ordinal)).ToList();
        Assert.True(summaries.Count == 2, string.Join("\n", summaries));
        Assert.Contains(summaries, l => l.Contains("Refused 2 device requests in the last 60 s: malformed JSON payload (4.00 / HTTP 400); first from " + Peer, StringComparison.Ordinal));
        Assert.Contains(summaries, l => l.Contains("Refused 1 device requests in the last 60 s: unknown access token, CIK or provisioning key (4.01 / HTTP 401); first from " + Peer, StringComparison.Ordinal));
        Assert.DoesNotContain(gateway.Logs.Lines, l => l.Contains(token, StringComparison.Ordinal) || l.Contains("UNKNOWN_TOKEN", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Exosite_UnknownCikForbiddenAliasAndMalformedCbor_AreSummarised_WithoutTheCik()
    {
        using var gateway = new ExositeGateway(o => o.AllowedAliases.Add("temp"));
        using var device = new CoapDevice(gateway.Server);
        var cik = await gateway.ActivatedDeviceAsync();
        string unknown = new('e', 40);

        Assert.Equal("4.01", Answer.Code(await device.SendAsync(ExositeRequests.Build(CoapCode.Post, "1a/temp", 1, [ExositeRequests.Text(unknown)], ExositeRequests.Text("1")))));
        Assert.Equal("4.03", Answer.Code(await device.SendAsync(ExositeRequests.Build(CoapCode.Post, "1a/secret", 2, [ExositeRequests.Text(cik)], ExositeRequests.Text("1")))));
        Assert.Equal("4.00", Answer.Code(await device.SendAsync(ExositeRequests.Build(CoapCode.Post, "1a", 3, [ExositeRequests.Text(cik)], [0xA1, 0x61]))));

        gateway.Time.Advance(Minute);
        var summaries = gateway.Logs.Lines.Where(l => l.Contains(" 315 ", StringComparison.Ordinal)).Select(l => l[l.IndexOf("Refused", StringComparison.Ordinal)..].TrimEnd()).Order().ToList();
        Assert.Equal(
            [
                "Refused 1 device requests in the last 60 s: alias not allowed (4.03); first from ::ffff:192.0.2.10",
                "Refused 1 device requests in the last 60 s: malformed CBOR payload (4.00); first from ::ffff:192.0.2.10",
                "Refused 1 device requests in the last 60 s: unknown access token, CIK or provisioning key (4.01 / HTTP 401); first from ::ffff:192.0.2.10",
            ],
            summaries);
        Assert.DoesNotContain(gateway.Logs.Lines, l => l.Contains(cik, StringComparison.Ordinal) || l.Contains(unknown, StringComparison.Ordinal));
    }

    private sealed class ListLogger : ILogger<RefusalLog>
    {
        private readonly ConcurrentQueue<(LogLevel Level, int EventId, string Message)> _entries = new();

        public IReadOnlyCollection<(LogLevel Level, int EventId, string Message)> Entries => _entries;

        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            _entries.Enqueue((logLevel, eventId.Id, formatter(state, exception)));
    }
}
