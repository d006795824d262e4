using System.Threading.Channels;
using Microsoft.Extensions.Logging;

namespace Gateway.Bridge.Logs;

/// <summary>
/// The gateway's warnings and errors for its ThingsBoard device (issue 23), as a logging provider.
/// Off until the gateway device's shared attribute <c>RemoteLoggingLevel</c> (ThingsBoard IoT
/// Gateway's name for it) asks for <c>WARNING</c> or <c>ERROR</c>; then each entry at or above
/// that level goes into a bounded queue (<see cref="Capacity"/>, the newest dropped and counted when
/// full) that <see cref="CloudLogShipper"/> empties upstream at a bounded rate. Off, a log call
/// costs one comparison in <see cref="ILogger.IsEnabled"/>. The MQTT client's and the shipper's own
/// categories are not shipped, so a failing upload cannot feed itself.
/// </summary>
public sealed class CloudLogProvider(TimeProvider? time = null) : ILoggerProvider
{
    public const int Capacity = 256;

    private readonly TimeProvider _time = time ?? TimeProvider.System;
    private readonly Channel<CloudLogEntry> _queue = Channel.CreateBounded<CloudLogEntry>(
        // Wait, not DropWrite: with Wait a full queue makes TryWrite return false (counted); DropWrite drops silently and says true.
        new BoundedChannelOptions(Capacity) { FullMode = BoundedChannelFullMode.Wait, SingleReader = true });
    private volatile int _threshold = (int)LogLevel.None;
    private long _queued, _dropped;

    /// <summary>The lowest level shipped (<see cref="LogLevel.None"/>: off).</summary>
    public LogLevel Threshold
    {
        get => (LogLevel)_threshold;
        set => _threshold = (int)(value is LogLevel.None or >= LogLevel.Warning ? value : LogLevel.Warning);
    }

    public ChannelReader<CloudLogEntry> Entries => _queue.Reader;

    /// <summary>Entries taken into the queue, and those dropped because it was full (also counted by the shipper when the link is down).</summary>
    public long Queued => Interlocked.Read(ref _queued);

    public long Dropped => Interlocked.Read(ref _dropped);

    internal void CountDropped() => Interlocked.Increment(ref _dropped);

    public ILogger CreateLogger(string categoryName) =>
        categoryName.StartsWith("Gateway.Mqtt", StringComparison.Ordinal) || categoryName.StartsWith("Gateway.Bridge.Logs", StringComparison.Ordinal)
            ? Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance
            : new CloudLogger(this, categoryName);

    public void Dispose() => _queue.Writer.TryComplete();

    private void Write(LogLevel level, EventId eventId, string category, string message)
    {
        if (_queue.Writer.TryWrite(new CloudLogEntry(_time.GetUtcNow(), level, eventId.Id, category, message))) Interlocked.Increment(ref _queued);
        else Interlocked.Increment(ref _dropped);
    }

    private sealed class CloudLogger(CloudLogProvider owner, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel != LogLevel.None && (int)logLevel >= owner._threshold;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (!IsEnabled(logLevel)) return;
            var message = formatter(state, exception);
            // The exception's message, not its stack: one line a dashboard can show.
            if (exception is not null) message += " (" + exception.GetType().Name + ": " + exception.Message + ")";
            owner.Write(logLevel, eventId, category, message);
        }
    }
}
