using Microsoft.Extensions.Logging;

namespace Gateway.Devices.Refusals;

/// <summary>
/// Refused device requests, summarised (issue 20.10): at the default level a refusal used to leave no trace, and one
/// line per refusal would let any device flood the journal. Callers report each refusal with its reason and source
/// address; every <see cref="RefusalLogOptions.Interval"/> one line per reason that occurred says how many there were
/// and who sent the first, e.g. <c>Refused 37 device requests in the last 60 s: malformed JSON payload (4.00 / HTTP
/// 400); first from ::ffff:192.0.2.7</c>. Only reasons and addresses are kept, never a token, CIK or path.
/// </summary>
/// <remarks>
/// Reporting is two interlocked operations on per-reason slots and allocates nothing (the source string is the one the
/// caller already holds). The first source is best effort: a report racing with the summary may name its source in
/// the next interval's line instead.
/// </remarks>
public sealed class RefusalLog : IDisposable
{
    private static readonly int ReasonCount = Enum.GetValues<RefusalKind>().Length;

    private readonly long[] _counts = new long[ReasonCount];
    private readonly string?[] _first = new string?[ReasonCount];
    private readonly ILogger _logger;
    private readonly TimeSpan _interval;
    private readonly ITimer _timer;
    private int _disposed;

    public RefusalLog(TimeProvider time, ILogger<RefusalLog> logger, RefusalLogOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(time);
        _logger = logger;
        _interval = (options ?? new RefusalLogOptions()).Interval;
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(_interval, TimeSpan.Zero, nameof(options));
        _timer = time.CreateTimer(static state => ((RefusalLog)state!).Flush(), this, _interval, _interval);
    }

    /// <summary>Counts one refused request from <paramref name="source"/> (an address, never anything a device authenticates with).</summary>
    public void Report(RefusalKind reason, string source)
    {
        int i = (int)reason;
        Interlocked.Increment(ref _counts[i]);
        if (Volatile.Read(ref _first[i]) is null) Interlocked.CompareExchange(ref _first[i], source, null);
    }

    /// <summary>Writes one line per reason refused since the last call and starts counting afresh (the timer calls it).</summary>
    public void Flush()
    {
        for (int i = 0; i < ReasonCount; i++)
        {
            // The first source is taken before the count, so a report in between is counted now and names itself next time.
            string? first = Interlocked.Exchange(ref _first[i], null);
            long count = Interlocked.Exchange(ref _counts[i], 0);
            if (count > 0) DevicesLog.RequestsRefused(_logger, count, _interval.TotalSeconds, Describe((RefusalKind)i), first ?? "unknown");
        }
    }

    /// <summary>The reason as the summary names it, with the answer the device got.</summary>
    public static string Describe(RefusalKind reason) => reason switch
    {
        RefusalKind.MalformedJson => "malformed JSON payload (4.00 / HTTP 400)",
        RefusalKind.MalformedCbor => "malformed CBOR payload (4.00)",
        RefusalKind.InvalidRequest => "invalid request (4.00 / HTTP 400)",
        RefusalKind.UnknownCredential => "unknown access token, CIK or provisioning key (4.01 / HTTP 401)",
        RefusalKind.SilencedSource => "source silenced after too many unknown credentials (no answer)",
        RefusalKind.Forbidden => "alias not allowed (4.03)",
        RefusalKind.TooFast => "dataport written again too soon (Exosite:TooFastCode)",
        RefusalKind.TooLarge => "payload too large (HTTP 413)",
        RefusalKind.BodyTimeout => "body not received in time (HTTP 408)",
        _ => reason.ToString(),
    };

    /// <summary>Stops the timer and writes what was counted since the last summary, so a stop does not lose it.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        _timer.Dispose();
        Flush();
    }
}
