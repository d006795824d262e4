namespace Gateway.Devices.Http;

/// <summary>
/// Caps concurrent long polls per device and in total (issue 9): each open poll holds a connection, a
/// waiter and a timer, and ThingsBoard's own cap is only the servlet container's. One over the cap answers
/// 503 + Retry-After instead of replacing an older poll, so two clients polling for the same device cannot
/// push each other out in turn.
/// </summary>
internal sealed class LongPollLimiter(HttpApiOptions options)
{
    private readonly Dictionary<string, int> _perDevice = new(StringComparer.Ordinal);
    private int _total;

    public int Active { get { lock (_perDevice) return _total; } }

    /// <summary>Null when admitted (call <see cref="Exit"/> later), else why not.</summary>
    public string? TryEnter(string device)
    {
        lock (_perDevice)
        {
            if (_total >= options.MaxLongPolls) return "gateway-wide long-poll cap reached";
            int count = _perDevice.GetValueOrDefault(device);
            if (count >= options.MaxLongPollsPerDevice) return "per-device long-poll cap reached";
            _perDevice[device] = count + 1;
            _total++;
            return null;
        }
    }

    public void Exit(string device)
    {
        lock (_perDevice)
        {
            _total--;
            if (_perDevice.TryGetValue(device, out int count) && count > 1) _perDevice[device] = count - 1;
            else _perDevice.Remove(device);
        }
    }
}
