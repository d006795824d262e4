using System.Diagnostics.Metrics;
using Gateway.Coap.Transport.Dtls;
using Gateway.Host.Coap;
using Gateway.Host.Health;
using Gateway.Host.Storage;
using Gateway.Devices.ThingsBoard;
using Gateway.Domain;
using Gateway.Storage.Outbox;
using Microsoft.Extensions.Hosting;

namespace Gateway.Host.Metrics;

/// <summary>
/// The host's instruments on the <see cref="MeterName"/> meter. All are observable: they read
/// counters the CoAP endpoint and the outbox keep anyway, so the hot path pays nothing for them and
/// <c>dotnet-counters monitor -n coap-gateway --counters CoapGateway</c> sees the same figures as
/// <c>/metrics</c>. A hosted service only so that the instruments exist from the start.
/// </summary>
public sealed class GatewayMetrics : IHostedService
{
    /// <summary>The host's meter. Other components export through <c>/metrics</c> by creating meters named <c>CoapGateway.*</c> from the same <see cref="IMeterFactory"/>.</summary>
    public const string MeterName = "CoapGateway";

    public GatewayMetrics(IMeterFactory factory, CoapListenerService coap, OutboxStatsSampler outbox,
        DeviceCensus devices, LinkStatus link, HealthMonitor health, Uptime uptime, IDownlinkSignal downlinks, AuthFailureLimiter auth, IOutbox store)
    {
        var meter = factory.Create(MeterName);
        if (downlinks is DownlinkSignal signal)
            Counter(meter, "coapgw.downlink.listener_failures", "Device-side listeners that threw on a cloud change (the change stays stored; the device gets it on its next request)", () => signal.ListenerFailures);

        Counter(meter, "coapgw.coap.datagrams", "CoAP datagrams received (watchdog pings included)", () => coap.IsStarted ? coap.Endpoint.Statistics.DatagramsReceived : 0);
        meter.CreateObservableCounter("coapgw.coap.datagrams.dropped", () => coap.IsStarted ? Dropped(coap) : [],
            description: "CoAP datagrams not handled as a new message, by reason: malformed (codec rejected; answered RST/4.xx or silence), ignored (silently dropped), duplicate (answered from the dedup cache), unmatched (response/ACK/RST matching nothing)");
        Counter(meter, "coapgw.coap.requests", "CoAP requests passed to the resource tree", () => coap.IsStarted ? coap.Endpoint.Statistics.Requests : 0);
        meter.CreateObservableCounter("coapgw.coap.responses", () => coap.ResponsesByCode().Select(r => new Measurement<long>(r.Count, new KeyValuePair<string, object?>("code", r.Code))),
            description: "CoAP responses from the resource tree, by response code");
        Counter(meter, "coapgw.coap.resets_sent", "CoAP RST messages sent", () => coap.IsStarted ? coap.Endpoint.Statistics.ResetsSent : 0);
        Counter(meter, "coapgw.coap.bad_options", "CoAP requests answered 4.02 for an unrecognised critical option", () => coap.IsStarted ? coap.Endpoint.Statistics.BadOptions : 0);
        Counter(meter, "coapgw.coap.handler_errors", "CoAP requests whose handler threw (answered 5.00)", () => coap.IsStarted ? coap.Endpoint.Statistics.HandlerErrors : 0);
        Counter(meter, "coapgw.coap.separate_responses", "CoAP responses sent separately after an empty ACK", () => coap.IsStarted ? coap.Endpoint.Statistics.SeparateResponses : 0);
        Counter(meter, "coapgw.coap.retransmissions", "CoAP Confirmable retransmissions sent", () => coap.IsStarted ? coap.Endpoint.Retransmissions : 0);
        Counter(meter, "coapgw.coap.dedup_evictions", "Deduplication entries evicted before their lifetime because the table was full", () => coap.IsStarted ? coap.Endpoint.DeduplicationEvictions : 0);
        meter.CreateObservableGauge("coapgw.coap.pending_confirmables", () => coap.IsStarted ? coap.Endpoint.PendingConfirmables : 0,
            description: "CoAP Confirmable messages awaiting an ACK");
        meter.CreateObservableGauge("coapgw.coap.dedup_entries", () => coap.IsStarted ? coap.Endpoint.DeduplicationEntries : 0,
            description: "CoAP deduplication entries held");
        meter.CreateObservableGauge("coapgw.coap.observers", () => coap.IsStarted ? coap.Endpoint.Statistics.Observers : 0,
            description: "CoAP Observe relations held (RFC 7641)");
        Counter(meter, "coapgw.coap.observers_evicted", "Observe relations evicted by the per-peer or total cap", () => coap.IsStarted ? coap.Endpoint.Statistics.ObserversEvicted : 0);
        Counter(meter, "coapgw.coap.observers_replaced", "Observe relations replaced by a newer registration of the same device and resource from another address (the old one gets a final 2.02)", () => coap.IsStarted ? coap.Endpoint.Statistics.ObserversReplaced : 0);
        Counter(meter, "coapgw.coap.notifications", "Observe notifications sent", () => coap.IsStarted ? coap.Endpoint.Statistics.Notifications : 0);
        Counter(meter, "coapgw.coap.block2_transfers", "Block-wise responses started (RFC 7959 Block2)", () => coap.IsStarted ? coap.Endpoint.Statistics.Block2Transfers : 0);
        Counter(meter, "coapgw.coap.block1_transfers", "Block-wise request bodies reassembled (RFC 7959 Block1)", () => coap.IsStarted ? coap.Endpoint.Statistics.Block1Transfers : 0);
        meter.CreateObservableGauge("coapgw.coap.partial_bodies", () => coap.IsStarted ? coap.Endpoint.PartialBodies : 0,
            description: "Block1 uploads in progress");

        meter.CreateObservableGauge("coapgw.dtls.sessions", () => coap.Dtls?.Statistics.Sessions ?? 0, description: "DTLS sessions held (established and handshaking)");
        meter.CreateObservableGauge("coapgw.dtls.handshaking", () => coap.Dtls?.Statistics.Handshaking ?? 0, description: "DTLS handshakes in progress");
        Counter(meter, "coapgw.dtls.handshakes_ok", "DTLS handshakes completed", () => coap.Dtls?.Statistics.HandshakesCompleted ?? 0);
        meter.CreateObservableCounter("coapgw.dtls.handshakes_failed", () => coap.Dtls is { } dtls ? HandshakeFailures(dtls.Statistics) : [],
            description: "DTLS handshakes failed, by reason");
        Counter(meter, "coapgw.dtls.cookies_sent", "HelloVerifyRequests sent to ClientHellos without a valid cookie (no per-peer state kept)", () => coap.Dtls?.Statistics.CookiesSent ?? 0);
        meter.CreateObservableCounter("coapgw.dtls.records_dropped", () => coap.Dtls is { } dtls ? RecordsDropped(dtls.Statistics) : [],
            description: "DTLS datagrams dropped, by reason");
        meter.CreateObservableCounter("coapgw.dtls.sessions_ended", () => coap.Dtls is { } dtls ? SessionsEnded(dtls.Statistics) : [],
            description: "DTLS sessions ended by the gateway or the peer, by reason");
        Counter(meter, "coapgw.coap.multicast.received", "Datagrams received for All-CoAP-Nodes (RFC 7252 §12.8)", () => coap.MulticastResponder?.Statistics.Received ?? 0);
        Counter(meter, "coapgw.coap.multicast.answered", "Discovery answers sent to group requests after their leisure (RFC 7252 §8.2)", () => coap.MulticastResponder?.Statistics.Answered ?? 0);
        meter.CreateObservableCounter("coapgw.coap.multicast.unanswered", () => coap.MulticastResponder is { } m ? Unanswered(m.Statistics) : [],
            description: "Group requests not answered, by reason (CON, write, not discovery, nothing to say, rate limit, …)");
        Counter(meter, "coapgw.dtls.rebinds", "DTLS sessions that moved address with their connection id (RFC 9146)", () => coap.Dtls?.Statistics.Rebinds ?? 0);

        meter.CreateObservableGauge("coapgw.outbox.depth", () => outbox.Current.Depth, description: "Rows waiting in the outbox");
        meter.CreateObservableGauge("coapgw.outbox.bytes", () => outbox.Current.Bytes, unit: "By", description: "Accounted bytes of the rows waiting in the outbox (what Storage:MaxQueueBytes bounds)");
        meter.CreateObservableGauge("coapgw.outbox.oldest_age_seconds", () => outbox.Current.OldestAge.TotalSeconds, unit: "s", description: "Age of the oldest row in the outbox (store clock)");
        meter.CreateObservableCounter("coapgw.outbox.drops", () => Drops(outbox.Current),
            description: "Outbox rows dropped without delivery since the database was created, by kind and reason (expired, queue_full, disk_reserve, compacted)");
        Counter(meter, "coapgw.outbox.dead_letters", "Outbox rows the cloud rejected, moved to the dead-letter table, since the database was created", () => outbox.Current.DeadLetters);
        // The admin page counts rows per device in a wrapper around the outbox; the commit failures are the inner one's.
        if ((store is Admin.CountingOutbox counting ? counting.Inner : store) is SqliteOutbox sqlite)
            Counter(meter, "coapgw.outbox.failed_commits", "Outbox transactions that failed and were rolled back (I/O error, read-only file system, …): their writes were refused with 5.03 / 503, never acknowledged", () => sqlite.FailedCommits);
        Counter(meter, "coapgw.outbox.commits", "Outbox transactions committed by this process (one WAL fsync each)", () => outbox.Current.Commits);

        Counter(meter, "coapgw.auth.failures", "Failed authentications: unknown access token, CIK or provisioning secret (answered 4.01 within the per-address rate, else not answered)", () => auth.Failures);
        Counter(meter, "coapgw.auth.unanswered", "Failed authentications not answered (over the per-address 4.01 rate, or from a limited address)", () => auth.Suppressed);
        Counter(meter, "coapgw.auth.limits", "Times an address became limited (too many failed authentications in the window)", () => auth.Limits);
        Counter(meter, "coapgw.auth.silenced", "Requests from a limited address dropped without a lookup or an answer", () => auth.Silenced);
        Counter(meter, "coapgw.auth.known_while_limited", "Requests from a limited address let through because their credential authenticated from that address before (valid devices behind the same NAT)", () => auth.KnownWhileLimited);
        Counter(meter, "coapgw.auth.limited_lookups", "Credentials new to a limited address looked up within its small budget (bounds guessing; lets new devices in)", () => auth.LimitedLookups);
        meter.CreateObservableGauge("coapgw.auth.limited_sources", () => auth.LimitedSources, description: "Addresses limited right now");

        meter.CreateObservableGauge("coapgw.devices", () => devices.Total, description: "Registered devices");
        meter.CreateObservableGauge("coapgw.devices.awaiting_activation", () => devices.AwaitingActivation, description: "Exosite devices registered but not yet activated");
        meter.CreateObservableGauge("coapgw.link.up", () => link.State == LinkState.Up ? 1 : 0, description: "1 while the MQTT link to the cloud is up");
        meter.CreateObservableGauge("coapgw.link.enabled", () => link.State == LinkState.Disabled ? 0 : 1, description: "1 when an uplink is configured (Mqtt:Host set)");
        meter.CreateObservableGauge("coapgw.healthy", () => health.Latest?.Alive == true ? 1 : 0, description: "1 while every liveness probe passes (the systemd watchdog is fed)");
        meter.CreateObservableGauge("coapgw.uptime_seconds", () => uptime.Elapsed.TotalSeconds, unit: "s", description: "Seconds since the service started");
    }

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    private static void Counter(Meter meter, string name, string description, Func<long> read) =>
        meter.CreateObservableCounter(name, read, description: description);

    private static Measurement<long>[] Dropped(CoapListenerService coap)
    {
        var s = coap.Endpoint.Statistics;
        return
        [
            new(s.Malformed, new KeyValuePair<string, object?>("reason", "malformed")),
            new(s.Ignored, new KeyValuePair<string, object?>("reason", "ignored")),
            new(s.Duplicates, new KeyValuePair<string, object?>("reason", "duplicate")),
            new(s.Unmatched, new KeyValuePair<string, object?>("reason", "unmatched")),
        ];
    }

    private static IEnumerable<Measurement<long>> HandshakeFailures(DtlsStatistics s) =>
        Enum.GetValues<DtlsHandshakeFailure>().Select(r => new Measurement<long>(s.HandshakesFailed(r), new KeyValuePair<string, object?>("reason", Names.Snake(r.ToString()))));

    private static Measurement<long>[] Unanswered(Gateway.Coap.Multicast.MulticastStatistics s) =>
    [
        new(s.NotRequest, new KeyValuePair<string, object?>("reason", "not_request")),
        new(s.Confirmable, new KeyValuePair<string, object?>("reason", "confirmable")),
        new(s.Writes, new KeyValuePair<string, object?>("reason", "write")),
        new(s.NotDiscovery, new KeyValuePair<string, object?>("reason", "not_discovery")),
        new(s.LaterBlocks, new KeyValuePair<string, object?>("reason", "later_block")),
        new(s.NothingToSay, new KeyValuePair<string, object?>("reason", "nothing_to_say")),
        new(s.RateLimited, new KeyValuePair<string, object?>("reason", "rate_limited")),
        new(s.PendingFull, new KeyValuePair<string, object?>("reason", "pending_full")),
        new(s.TooLarge, new KeyValuePair<string, object?>("reason", "too_large")),
    ];

    private static Measurement<long>[] RecordsDropped(DtlsStatistics s) =>
    [
        new(s.RecordsMalformed, new KeyValuePair<string, object?>("reason", "malformed")),
        new(s.RecordsWithoutSession, new KeyValuePair<string, object?>("reason", "no_session")),
        new(s.RecordsDiscarded, new KeyValuePair<string, object?>("reason", "discarded")),
        new(s.RecordsQueueFull, new KeyValuePair<string, object?>("reason", "queue_full")),
        new(s.ClientHellosDropped, new KeyValuePair<string, object?>("reason", "bad_client_hello")),
        new(s.SendsDropped, new KeyValuePair<string, object?>("reason", "send_without_session")),
    ];

    private static Measurement<long>[] SessionsEnded(DtlsStatistics s) =>
    [
        new(s.SessionsExpired, new KeyValuePair<string, object?>("reason", "idle")),
        new(s.SessionsEvicted, new KeyValuePair<string, object?>("reason", "evicted")),
        new(s.SessionsClosed, new KeyValuePair<string, object?>("reason", "closed")),
    ];

    private static IEnumerable<Measurement<long>> Drops(OutboxStats stats) =>
        stats.Drops.Select(d => new Measurement<long>(d.Value,
            new KeyValuePair<string, object?>("kind", Names.Snake(d.Key.Kind.ToString())),
            new KeyValuePair<string, object?>("reason", Names.Snake(d.Key.Reason.ToString()))));
}
