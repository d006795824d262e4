using System.Buffers;
using System.Diagnostics;
using MQTTnet;
using MQTTnet.Protocol;

namespace Gateway.Bench.Drain;

/// <summary>
/// The cloud side of a measurement: an MQTTnet subscriber (QoS 1: at QoS 0 mosquitto dropped
/// messages for it when it fell behind) on the gateway telemetry topic that counts rows (<c>"ts":</c> members) and
/// PUBLISHes, and notes when the first and the last backlog row arrived. Rows carrying
/// <see cref="LiveMarker"/> are live telemetry, counted apart.
/// </summary>
internal sealed class RowCounter : IAsyncDisposable
{
    public const string Topic = "v1/gateway/telemetry";
    public static ReadOnlySpan<byte> LiveMarker => "\"live\":"u8;
    private static ReadOnlySpan<byte> RowMarker => "\"ts\":"u8;

    private readonly IMqttClient _client;
    private readonly long _target;
    private readonly TaskCompletionSource _done = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private long _rows, _live, _messages, _first, _last;

    private RowCounter(IMqttClient client, long target) { _client = client; _target = target; }

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
        var client = new MqttClientFactory().CreateMqttClient();
        var counter = new RowCounter(client, target) { Timeline = timeline ? [] : null };
        client.ApplicationMessageReceivedAsync += e =>
        {
            counter.Count(e.ApplicationMessage.Payload);
            return Task.CompletedTask;
        };
        await client.ConnectAsync(new MqttClientOptionsBuilder().WithTcpServer("127.0.0.1", port).WithClientId($"drain-counter-{Guid.NewGuid():N}")
            .WithProtocolVersion(MQTTnet.Formatter.MqttProtocolVersion.V500).WithCleanStart().Build());
        await client.SubscribeAsync(new MqttClientSubscribeOptionsBuilder().WithTopicFilter(Topic, MqttQualityOfServiceLevel.AtLeastOnce).Build());
        return counter;
    }

    private void Count(ReadOnlySequence<byte> payload)
    {
        long now = Stopwatch.GetTimestamp();
        int rows = 0, live = 0;
        if (payload.IsSingleSegment) Scan(payload.FirstSpan, ref rows, ref live);
        else Scan(payload.ToArray(), ref rows, ref live);
        Interlocked.Increment(ref _messages);
        Interlocked.Add(ref _live, live);
        int backlog = rows - live;
        if (backlog <= 0) return;
        if (Interlocked.Read(ref _first) == 0) Interlocked.CompareExchange(ref _first, now, 0);
        long total = Interlocked.Add(ref _rows, backlog);
        if (Timeline is { } timeline && total * 10 / _target != (total - backlog) * 10 / _target)
            timeline.Add((total, now - Interlocked.Read(ref _first)));
        if (total >= _target && _done.TrySetResult()) Interlocked.Exchange(ref _last, now);
    }

    private static void Scan(ReadOnlySpan<byte> span, ref int rows, ref int live)
    {
        rows += span.Count(RowMarker);
        live += span.Count(LiveMarker);
    }

    public async ValueTask DisposeAsync()
    {
        try { await _client.DisconnectAsync(); } catch (Exception e) when (e is MQTTnet.Exceptions.MqttCommunicationException or InvalidOperationException) { }
        _client.Dispose();
    }
}
