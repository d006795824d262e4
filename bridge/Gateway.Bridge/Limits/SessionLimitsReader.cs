using System.Text;
using Gateway.Bridge.Downlinks;
using Gateway.Mqtt.Client;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Gateway.Bridge.Limits;

/// <summary>
/// Asks ThingsBoard for the session's limits with the client-side RPC <c>getSessionLimits</c>
/// (thingsboard.md §4.1, <c>{"method":"getSessionLimits","params":{}}</c> on the gateway's own
/// <c>v1/devices/me/rpc/request/{n}</c>) after every connect and every
/// <c>Bridge:SessionLimitsRefreshSeconds</c>, and hands the answer to the <see cref="SessionPacer"/>.
/// No answer within <c>Bridge:ClientRpcTimeoutSeconds</c> (older ThingsBoard, a plain broker): the
/// limits stay as they were (none at first) and the next try is the next connect or period, never a loop.
/// A garbled answer is logged once per distinct problem and changes nothing.
/// </summary>
public sealed class SessionLimitsReader
{
    private static readonly byte[] Request = Encoding.UTF8.GetBytes("{\"method\":\"getSessionLimits\",\"params\":{}}");

    private readonly MqttCloudLink _link;
    private readonly SessionPacer _pacer;
    private readonly BridgeOptions _options;
    private readonly BridgeStatus _status;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly SemaphoreSlim _connected = new(0, 1);
    private string? _lastProblem;

    public SessionLimitsReader(MqttClient client, MqttCloudLink link, SessionPacer pacer, BridgeOptions options, BridgeStatus status,
        TimeProvider? time = null, ILogger<SessionLimitsReader>? logger = null)
    {
        _link = link;
        _pacer = pacer;
        _options = options;
        _status = status;
        _time = time ?? TimeProvider.System;
        _logger = logger ?? (ILogger)NullLogger.Instance;
        client.ConnectionStateChanged += (_, e) =>
        {
            if (e.State != MqttConnectionState.Connected) return;
            try { _connected.Release(); }
            catch (SemaphoreFullException) { /* a connect is already pending */ }
        };
    }

    /// <summary>Runs until <paramref name="stop"/>: one question per connect and per period.</summary>
    public async Task RunAsync(CancellationToken stop)
    {
        var period = _options.SessionLimitsRefreshSeconds > 0 ? TimeSpan.FromSeconds(_options.SessionLimitsRefreshSeconds) : Timeout.InfiniteTimeSpan;
        while (!stop.IsCancellationRequested)
        {
            var connect = _connected.WaitAsync(stop);
            if (period != Timeout.InfiniteTimeSpan) await Task.WhenAny(connect, Task.Delay(period, _time, stop)).ConfigureAwait(false);
            else await connect.ConfigureAwait(false);
            stop.ThrowIfCancellationRequested();
            if (_link.IsConnected) await AskAsync(stop).ConfigureAwait(false);
        }
    }

    /// <summary>One question and its answer applied; false when there was no usable answer.</summary>
    public async Task<bool> AskAsync(CancellationToken cancellationToken)
    {
        var (outcome, reply) = await _link.CallOwnRpcAsync(Request, TimeSpan.FromSeconds(_options.ClientRpcTimeoutSeconds), cancellationToken).ConfigureAwait(false);
        _status.SessionLimitsAsked();
        if (outcome != MqttCloudLink.RpcOutcome.Answered || reply is null)
        {
            // Nothing to wait for any more: without an answer the session is not paced by the cloud's limits.
            _pacer.Release();
            BridgeLog.SessionLimitsUnanswered(_logger, outcome.ToString());
            return false;
        }
        if (!SessionLimitsParser.TryParse(Encoding.UTF8.GetBytes(reply.ToJsonString()), out var limits, out var problem))
        {
            _pacer.Release();
            if (problem != _lastProblem) BridgeLog.SessionLimitsUnreadable(_logger, problem);
            _lastProblem = problem;
            return false;
        }
        _lastProblem = null;
        var changed = !Equals(limits.ToString(), _pacer.Limits.ToString());
        _pacer.Apply(limits);
        _status.SessionLimitsApplied(limits.ToString());
        if (changed) BridgeLog.SessionLimits(_logger, limits.ToString());
        return true;
    }
}
