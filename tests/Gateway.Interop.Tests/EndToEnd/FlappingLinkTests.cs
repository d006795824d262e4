using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Gateway.Coap.Messages;
using Gateway.TestKit;
using Xunit.Abstractions;

namespace Gateway.Interop.Tests.EndToEnd;

/// <summary>
/// Issue 18, flapping link (reliability.md R12/R13): the gateway reaches mosquitto through a <see cref="TcpFaultProxy"/>
/// that, at random from a logged seed, cuts (RST), stalls and black-holes the link while a device posts numbered
/// telemetry; the cloud subscriber is connected to mosquitto directly. <see cref="FlapSeconds"/> of flapping (45 s in CI;
/// <c>GATEWAY_TESTS_FLAP_SECONDS=180</c> in tests/reliability-long), then the broker "host" refuses every connection for a
/// while. Asserted: every acknowledged row reaches the cloud (duplicates counted), first deliveries in the device's
/// order; every stall and black hole is detected, i.e. the gateway gives the connection up, within 1.5 × keep alive of
/// the link going silent (MQTT 5.0 §3.1.2.10; measured at the proxy, which sees the gateway close); and no reconnect
/// storm: while refused, the intervals between attempts grow until the backoff cap and their number stays under the
/// backoff schedule's bound. Negative control: with a keep alive longer than the stall, the stall is not detected within
/// the bound, and the cloud receives nothing while the device's writes are still acknowledged (the proxy really holds
/// the traffic).
/// </summary>
public sealed class FlappingLinkTests(ITestOutputHelper output)
{
    private const int KeepAliveSeconds = 3;
    private const double ReconnectMin = 0.5, ReconnectMax = 4;
    private const string Device = "Flap Dev";
    private static readonly int FlapSeconds = int.TryParse(Environment.GetEnvironmentVariable("GATEWAY_TESTS_FLAP_SECONDS"), out var s) && s > 0 ? s : 45;
    private static readonly TimeSpan DetectionBound = TimeSpan.FromSeconds(1.5 * KeepAliveSeconds);
    // Seen at the proxy: the gateway's DISCONNECT and close come a moment after it declares the link dead, later on a
    // loaded machine (with keep alive 2 s, 3.51 s was measured here once, with 7 builds sharing 2 cores). The watchdog
    // gives a PINGREQ at least an eighth of a period even when it woke late (MqttSession.WatchAsync), so a late wake-up,
    // that floor and the close all count here: 5.27 s was measured once with keep alive 3 s during a full test run.
    private static readonly TimeSpan ObservationAllowance = TimeSpan.FromSeconds(KeepAliveSeconds / 3.0);

    [Fact]
    public async Task CutsStallsAndBlackHoles_LoseNoAcknowledgedRow_DetectDeadLinksWithinBound_BackOffWhileRefused()
    {
        int seed = Environment.TickCount;
        var random = new Random(seed);
        await using var rig = await Rig.StartAsync(KeepAliveSeconds);
        var detections = new List<(string Fault, TimeSpan? After)>();
        int cuts = 0;
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < TimeSpan.FromSeconds(FlapSeconds))
        {
            await rig.WaitConnectedAsync();
            await Task.Delay(random.Next(500, 3000));
            switch (random.Next(3))
            {
                case 0:
                    rig.Proxy.Cut();
                    cuts++;
                    break;
                case var fault:
                    var mode = fault == 1 ? TcpFaultMode.Stall : TcpFaultMode.BlackHole;
                    detections.Add((mode.ToString(), await rig.SilenceAsync(mode, DetectionBound + TimeSpan.FromMilliseconds(random.Next(1000, 2500)))));
                    break;
            }
        }

        // The broker's host goes away: every attempt is refused. A connection older than ReconnectResetAfterSeconds
        // ended, so the backoff starts again from its minimum and must grow from there.
        await rig.WaitConnectedAsync();
        await Task.Delay(TimeSpan.FromSeconds(2.5));
        var refuseFor = TimeSpan.FromSeconds(FlapSeconds >= 120 ? 60 : 20);
        var refusedFrom = rig.Proxy.Now;
        rig.Proxy.Mode = TcpFaultMode.Refuse;
        rig.Proxy.Cut();
        await Task.Delay(refuseFor);
        rig.Proxy.Mode = TcpFaultMode.Pass;
        var attempts = rig.Proxy.Connections.Where(c => c.ModeAtAccept == TcpFaultMode.Refuse && c.AcceptedAt >= refusedFrom)
            .Select(c => c.AcceptedAt.TotalSeconds).ToList();
        var intervals = attempts.Zip(attempts.Skip(1), (a, b) => b - a).ToList();

        var (acked, delivered) = await rig.StopAndCollectAsync();
        var distinct = delivered.Distinct().ToList();
        var lost = acked.Where(a => !distinct.Contains(a)).ToList();
        int orderViolations = distinct.Zip(distinct.Skip(1)).Count(p => p.Second < p.First);
        var detected = detections.Where(d => d.After is not null).Select(d => d.After!.Value.TotalSeconds).Order().ToList();
        string figures = string.Create(CultureInfo.InvariantCulture,
            $"flapping link {FlapSeconds} s (keep alive {KeepAliveSeconds} s, seed {seed}): {cuts} cuts, {detections.Count(d => d.Fault == "Stall")} stalls, " +
            $"{detections.Count(d => d.Fault == "BlackHole")} black holes; acked {acked.Count}, delivered {distinct.Count}, lost {lost.Count}, " +
            $"duplicates {delivered.Count - distinct.Count}, order violations {orderViolations}; dead link detected {detected.Count}/{detections.Count}, " +
            $"median {(detected.Count > 0 ? detected[detected.Count / 2] : 0):F2} s, max {(detected.Count > 0 ? detected[^1] : 0):F2} s (1.5 x keep alive {DetectionBound.TotalSeconds:F1} s); refused {refuseFor.TotalSeconds:F0} s: " +
            $"{attempts.Count} attempts, intervals {string.Join(" ", intervals.Select(i => i.ToString("F1", CultureInfo.InvariantCulture)))} s");
        output.WriteLine(figures);
        Figures.Report(figures);

        Assert.True(lost.Count == 0, $"{lost.Count} acknowledged rows never reached the cloud, e.g. seq {lost.FirstOrDefault()}\n{rig.Tail}");
        Assert.Equal(0, orderViolations);
        Assert.True(acked.Count > 100, $"only {acked.Count} rows acknowledged: the load never ran");
        Assert.All(detections, d => Assert.True(d.After is { } after && after <= DetectionBound + ObservationAllowance,
            $"{d.Fault} detected after {d.After?.TotalSeconds.ToString("F2", CultureInfo.InvariantCulture) ?? "never"} s, bound {(DetectionBound + ObservationAllowance).TotalSeconds} s\n{rig.Tail}"));
        Assert.True(attempts.Count >= 3, $"{attempts.Count} attempts while refused: the refusal never met the gateway");
        // Equal jitter (uniform in [d/2, d], d doubling) makes each interval at least the one before until the cap;
        // 0.15 s allows for scheduling on a loaded machine.
        for (int i = 1; i < intervals.Count && intervals[i - 1] < ReconnectMax / 2; i++)
            Assert.True(intervals[i] >= intervals[i - 1] - 0.15, $"backoff shrank: intervals {string.Join(" ", intervals)}\n{rig.Tail}");
        // Jitter: attempts at the cap are spread over [cap/2, cap], not a fixed period.
        var atCap = intervals.Where(i => i >= ReconnectMax / 2 * 0.9).ToList();
        if (atCap.Count >= 3) Assert.True(atCap.Max() - atCap.Min() > 0.1, $"no jitter at the cap: intervals {string.Join(" ", intervals)}");
        // The ramp from the minimum to the cap, then at most one attempt per half the cap.
        double bound = Math.Log2(ReconnectMax / ReconnectMin) + 2 + refuseFor.TotalSeconds / (ReconnectMax / 2);
        Assert.True(attempts.Count <= bound, $"reconnect storm: {attempts.Count} attempts in {refuseFor.TotalSeconds} s (bound {bound:F0})");
    }

    [Fact]
    public async Task NegativeControl_WithAKeepAliveLongerThanTheStall_ItIsNotDetectedAndHoldsTheTraffic()
    {
        // Keep alive 60 s: the watchdog cannot fire within the stall (0, "off", is refused at start: README, Mqtt:KeepAliveSeconds).
        await using var rig = await Rig.StartAsync(keepAliveSeconds: 60);
        await rig.WaitConnectedAsync();
        await rig.WaitDeliveringAsync();
        var stall = DetectionBound + TimeSpan.FromSeconds(2);
        var stalledAt = Stopwatch.StartNew();
        var silence = rig.SilenceAsync(TcpFaultMode.Stall, stall); // the proxy stalls from here
        // Rows already past the proxy still arrive, and the cloud subscriber may lag on a loaded machine:
        // the window starts once the cloud's count has stopped moving (at most 3 s into the stall).
        int cloudBefore = rig.Cloud.TelemetryEntries(Device).Count;
        do
        {
            await Task.Delay(500);
            int now = rig.Cloud.TelemetryEntries(Device).Count;
            if (now == cloudBefore) break;
            cloudBefore = now;
        }
        while (stalledAt.Elapsed < TimeSpan.FromSeconds(3));
        int ackedBefore = rig.AckedCount;
        await Task.Delay(stall - stalledAt.Elapsed - TimeSpan.FromSeconds(0.5));
        int cloudGain = rig.Cloud.TelemetryEntries(Device).Count - cloudBefore, ackedGain = rig.AckedCount - ackedBefore;
        var detection = await silence;
        output.WriteLine($"negative control (keep alive 60 s): stall of {stall.TotalSeconds} s detected after {detection?.TotalSeconds.ToString("F2", CultureInfo.InvariantCulture) ?? "never"}; " +
            $"meanwhile the cloud got {cloudGain} rows while {ackedGain} were acknowledged");

        Assert.True(detection is null || detection > DetectionBound, $"detected after {detection} with a 60 s keep alive: the stall did not stall");
        Assert.Equal(0, cloudGain);
        Assert.True(ackedGain > 0, "the device was not acknowledged during the stall");
        var (acked, delivered) = await rig.StopAndCollectAsync();
        Assert.Empty(acked.Except(delivered));
    }

    /// <summary>mosquitto, the cloud subscriber, the proxy, the gateway behind it and one device posting numbered telemetry.</summary>
    private sealed class Rig : IAsyncDisposable
    {
        private readonly string _dataDir = Path.Combine(Path.GetTempPath(), $"coapgw-e2e-flap-{Guid.NewGuid():N}");
        private readonly CancellationTokenSource _stopPosting = new();
        private Gateway.Interop.Tests.Support.GatewayProcess? _gateway;
        private Task _posting = Task.CompletedTask;

        private Rig()
        {
            Proxy = new TcpFaultProxy(new IPEndPoint(IPAddress.Loopback, Cloud.Port));
        }

        public CloudSide Cloud { get; } = new();

        public TcpFaultProxy Proxy { get; }

        private readonly List<int> _acked = [];

        public int AckedCount
        {
            get { lock (_acked) return _acked.Count; }
        }

        public string Tail => _gateway?.Output is { } log ? log[Math.Max(0, log.Length - 4000)..] : "";

        public static async Task<Rig> StartAsync(int keepAliveSeconds)
        {
            var rig = new Rig();
            rig.Cloud.StartSubscriber($"cloud-flap-{Guid.NewGuid():N}");
            string token = await CloudSide.AddDeviceAsync(rig._dataDir, Device);
            rig._gateway = await Gateway.Interop.Tests.Support.GatewayProcess.StartAsync(rig._dataDir,
                "--Mqtt:Host=127.0.0.1", $"--Mqtt:Port={rig.Proxy.EndPoint.Port.ToString(CultureInfo.InvariantCulture)}", "--Mqtt:ClientId=gateway-flap",
                "--Gateway:HealthIntervalSeconds=0", $"--Mqtt:KeepAliveSeconds={keepAliveSeconds.ToString(CultureInfo.InvariantCulture)}",
                $"--Mqtt:ReconnectMinSeconds={ReconnectMin.ToString(CultureInfo.InvariantCulture)}",
                $"--Mqtt:ReconnectMaxSeconds={ReconnectMax.ToString(CultureInfo.InvariantCulture)}",
                "--Mqtt:ReconnectResetAfterSeconds=2", "--Mqtt:ConnectTimeoutSeconds=2");
            rig._posting = Task.Run(() => rig.PostAsync(token, rig._gateway.IPv4EndPoint));
            return rig;
        }

        private async Task PostAsync(string token, IPEndPoint gateway)
        {
            using var device = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
            device.Bind(new IPEndPoint(IPAddress.Loopback, 0));
            for (int n = 1; !_stopPosting.IsCancellationRequested; n++)
            {
                var (code, _) = await StorageFaultTests.PostAsync(device, gateway, token, n);
                if (code == CoapCode.Created) lock (_acked) _acked.Add(n);
                await Task.Delay(20);
            }
        }

        /// <summary>Until the gateway holds a connection through the proxy that the broker answered (CONNACK).</summary>
        public async Task WaitConnectedAsync()
        {
            var deadline = Stopwatch.StartNew();
            while (!Proxy.Connections.Any(c => c.IsOpen && c.BytesToClient > 0))
            {
                Assert.True(deadline.Elapsed < TimeSpan.FromSeconds(30), $"the gateway did not reconnect within 30 s\n{Tail}");
                await Task.Delay(50);
            }
        }

        public async Task WaitDeliveringAsync()
        {
            int first = AckedCount;
            var deadline = Stopwatch.StartNew();
            while (Cloud.TelemetryEntries(Device).Count <= first)
            {
                Assert.True(deadline.Elapsed < CloudSide.WaitLimit, $"nothing delivered\n{Tail}");
                await Task.Delay(100);
            }
        }

        /// <summary>
        /// Puts the proxy in <paramref name="mode"/> for <paramref name="length"/>, then back to Pass; returns how long after
        /// the start the gateway closed the connection that was live then (null: not within the fault).
        /// </summary>
        public async Task<TimeSpan?> SilenceAsync(TcpFaultMode mode, TimeSpan length)
        {
            var live = Proxy.Connections.Where(c => c.IsOpen).ToList();
            var from = Proxy.Now;
            Proxy.Mode = mode;
            await Task.Delay(length);
            Proxy.Mode = TcpFaultMode.Pass;
            var closed = live.Select(c => c.ClientClosedAt).Where(t => t is not null && t <= from + length).Select(t => t!.Value - from).ToList();
            return closed.Count == live.Count && live.Count > 0 ? closed.Max() : null;
        }

        /// <summary>Stops the device and waits (bounded) until the cloud has every acknowledged row; returns acked and delivered seqs.</summary>
        public async Task<(List<int> Acked, List<int> Delivered)> StopAndCollectAsync()
        {
            _stopPosting.Cancel();
            await _posting;
            Proxy.Mode = TcpFaultMode.Pass;
            List<int> acked;
            lock (_acked) acked = [.. _acked];
            var deadline = Stopwatch.StartNew();
            List<int> delivered;
            while (true)
            {
                delivered = [.. Cloud.TelemetryEntries(Device).Select(e => e["values"]!["seq"]!.GetValue<int>())];
                if (acked.All(new HashSet<int>(delivered).Contains) || deadline.Elapsed > TimeSpan.FromSeconds(60)) break;
                await Task.Delay(200);
            }
            return (acked, delivered);
        }

        public async ValueTask DisposeAsync()
        {
            _stopPosting.Cancel();
            try { await _posting; } catch (OperationCanceledException) { }
            if (_gateway is not null) await _gateway.DisposeAsync();
            Proxy.Dispose();
            Cloud.Dispose();
            try { Directory.Delete(_dataDir, recursive: true); } catch (IOException) { }
        }
    }
}
