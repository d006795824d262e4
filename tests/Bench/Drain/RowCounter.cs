using System.Diagnostics;
using System.Globalization;
using MQTTnet;
using MQTTnet.Protocol;

namespace Gateway.Bench.Drain;

/// <summary>
/// The cloud side of a measurement: libmosquitto's <c>mosquitto_sub</c> (QoS 1: at QoS 0 mosquitto dropped
/// messages for a subscriber that fell behind) on the gateway telemetry topic, one message per line on its standard
/// output, which a thread here reads to count rows (<c>"ts":</c> members) and PUBLISHes and to note when the first and
/// the last backlog row arrived. Rows carrying <see cref="LiveMarker"/> are live telemetry, counted apart.
/// <para>An MQTTnet subscriber counted here before: it read at most 2.2 million packed rows a second, while
/// <c>mosquitto_sub</c> takes 5 million from <c>mosquitto_pub</c>, and the broker, queueing megabytes for it, read the
/// senders' sockets late (docs/performance.md, "The raw MQTTnet baseline").</para>
/// </summary>
internal sealed class RowCounter : IAsyncDisposable
{
    public const string Topic = "v1/gateway/telemetry";
    public static ReadOnlySpan<byte> LiveMarker => "\"live\":"u8;
    private static ReadOnlySpan<byte> RowMarker => "\"ts\":"u8;
    private static ReadOnlySpan<byte> ProbeMarker => "\"drain-probe\":"u8;

    private readonly Process _subscriber;
    private readonly Thread _reader;
    private readonly Task<string> _errors;
    private readonly long _target;
    private readonly TaskCompletionSource _done = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _subscribed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private long _rows, _live, _messages, _first, _last;

    private RowCounter(Process subscriber, long target)
    {
        _subscriber = subscriber;
        _target = target;
        _errors = subscriber.StandardError.ReadToEndAsync();
        _reader = new Thread(Read) { IsBackground = true, Name = "drain-counter" };
    }

    public long Rows => Interlocked.Read(ref _rows);

    public long Messages => Interlocked.Read(ref _messages);

    public long LiveRows => Interlocked.Read(ref _live);

    /// <summary>Completes when <c>target</c> backlog rows have arrived.</summary>
    public Task Done => _done.Task;

    /// <summary>Seconds from the first backlog row's arrival to the last one's.</summary>
    public double Seconds => (_last - _first) / (double)Stopwatch.Frequency;

    public long FirstTimestamp => Interlocked.Read(ref _first);

    /// <summary>When set: (rows so far, ticks since the first row) each time the count passes another tenth of the target.</summary>
    public List<(long Rows, long Ticks)>? Timeline { get; init; }

    public static async Task<RowCounter> StartAsync(int port, long target, bool timeline = false)
    {
        var psi = new ProcessStartInfo("mosquitto_sub", ["-h", "127.0.0.1", "-p", port.ToString(CultureInfo.InvariantCulture), "-q", "1", "-V", "5",
            "-i", $"drain-counter-{Guid.NewGuid():N}", "-t", Topic])
            { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        var subscriber = Process.Start(psi) ?? throw new InvalidOperationException("mosquitto_sub did not start");
        var counter = new RowCounter(subscriber, target) { Timeline = timeline ? [] : null };
        counter._reader.Start();
        await counter.ProbeAsync(port);
        return counter;
    }

    /// <summary>Publishes a probe (no rows) until the subscriber shows it: then its subscription is in place.</summary>
    private async Task ProbeAsync(int port)
    {
        using var client = new MqttClientFactory().CreateMqttClient();
        await client.ConnectAsync(new MqttClientOptionsBuilder().WithTcpServer("127.0.0.1", port).WithClientId($"drain-probe-{Guid.NewGuid():N}")
            .WithProtocolVersion(MQTTnet.Formatter.MqttProtocolVersion.V500).WithCleanStart().Build());
        var waited = Stopwatch.StartNew();
        while (!_subscribed.Task.IsCompleted)
        {
            if (waited.Elapsed > TimeSpan.FromSeconds(10) || _subscriber.HasExited)
                throw new InvalidOperationException($"mosquitto_sub did not receive a probe within 10 s{(_subscriber.HasExited ? ": " + await _errors : "")}");
            await client.PublishAsync(new MqttApplicationMessageBuilder().WithTopic(Topic).WithPayload("{\"drain-probe\":1}")
                .WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce).Build());
            await Task.WhenAny(_subscribed.Task, Task.Delay(20));
        }
        await client.DisconnectAsync();
    }

    private void Read()
    {
        var output = _subscriber.StandardOutput.BaseStream;
        var buffer = new byte[1 << 20];
        int kept = 0;
        while (true)
        {
            if (kept == buffer.Length) Array.Resize(ref buffer, buffer.Length * 2);
            int read;
            try { read = output.Read(buffer, kept, buffer.Length - kept); }
            catch (IOException) { return; }
            catch (ObjectDisposedException) { return; }
            if (read <= 0) return;
            long now = Stopwatch.GetTimestamp();
            int filled = kept + read;
            // Whole messages only: a marker never spans two lines.
            int end = buffer.AsSpan(0, filled).LastIndexOf((byte)'\n') + 1;
            if (end > 0) Count(buffer.AsSpan(0, end), now);
            buffer.AsSpan(end, filled - end).CopyTo(buffer);
            kept = filled - end;
        }
    }

    private void Count(ReadOnlySpan<byte> lines, long now)
    {
        int probes = lines.Count(ProbeMarker);
        if (probes > 0) _subscribed.TrySetResult();
        int rows = lines.Count(RowMarker), live = lines.Count(LiveMarker);
        Interlocked.Add(ref _messages, lines.Count((byte)'\n') - probes);
        Interlocked.Add(ref _live, live);
        int backlog = rows - live;
        if (backlog <= 0) return;
        if (Interlocked.Read(ref _first) == 0) Interlocked.CompareExchange(ref _first, now, 0);
        long total = Interlocked.Add(ref _rows, backlog);
        if (Timeline is { } timeline && total * 10 / _target != (total - backlog) * 10 / _target)
            timeline.Add((total, now - Interlocked.Read(ref _first)));
        if (total >= _target && _done.TrySetResult()) Interlocked.Exchange(ref _last, now);
    }

    public async ValueTask DisposeAsync()
    {
        try { _subscriber.Kill(); } catch (InvalidOperationException) { }
        await _subscriber.WaitForExitAsync();
        _reader.Join(TimeSpan.FromSeconds(5));
        _subscriber.Dispose();
    }
}
