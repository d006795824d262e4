namespace Gateway.Host.Health;

/// <summary>
/// Liveness of a loop that counts its iterations: alive while the counter moved within
/// <c>maxSilence</c>. A loop that waits for work must still iterate (wake on a timeout) to stay alive.
/// </summary>
public sealed class ProgressProbe(string name, Func<long> readProgress, TimeSpan maxSilence, TimeProvider time) : ILivenessProbe
{
    private readonly Lock _gate = new();
    private long _lastValue = long.MinValue;
    private long _lastChange = time.GetTimestamp();

    public string Name => name;

    public ValueTask<LivenessResult> CheckAsync(CancellationToken cancellationToken)
    {
        var value = readProgress();
        lock (_gate)
        {
            if (value != _lastValue)
            {
                _lastValue = value;
                _lastChange = time.GetTimestamp();
            }
            var silent = time.GetElapsedTime(_lastChange);
            return ValueTask.FromResult(silent <= maxSilence
                ? LivenessResult.Ok()
                : LivenessResult.Failed($"no progress for {silent.TotalSeconds:0} s"));
        }
    }
}
