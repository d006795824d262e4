using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using Gateway.Interop.Tests.Support;
using Gateway.TestKit;

namespace Gateway.Interop.Tests.EndToEnd;

/// <summary>
/// mosquitto as ThingsBoard: a broker, a <c>mosquitto_sub -v</c> cloud subscriber on <c>v1/gateway/#</c>
/// whose <c>topic payload</c> lines are collected, and <c>mosquitto_pub</c> for downlinks
/// (thingsboard.md §4.2). Every wait is bounded by 15 s and fails with what the cloud saw.
/// </summary>
public sealed class CloudSide : IDisposable
{
    public static readonly TimeSpan WaitLimit = TimeSpan.FromSeconds(15);
    private readonly List<Process> _subscribers = [];

    /// <param name="listening">False: the broker's port is chosen but nothing listens on it until <see cref="StartBroker"/>.</param>
    /// <param name="brokerConfig">Lines appended to mosquitto's config (limits, ACLs).</param>
    public CloudSide(bool listening = true, string brokerConfig = "allow_anonymous true\n")
    {
        Broker = new MosquittoBroker(brokerConfig);
        if (!listening) Broker.Stop();
    }

    public MosquittoBroker Broker { get; }

    public int Port => Broker.Port;

    public ConcurrentQueue<string> Lines { get; } = new();

    /// <summary>What else to print when a wait fails (the gateway's log).</summary>
    public Func<string>? Diagnostics { get; set; }

    public void StartBroker() => Broker.Start();

    /// <param name="topics">Topic filters; default <c>v1/gateway/#</c>.</param>
    public void StartSubscriber(string clientId, params string[] topics) => _subscribers.Add(Broker.StartCloudSubscriber(clientId, Lines, topics));

    /// <summary>Runs <c>dotnet coap-gateway.dll devices add …</c> on a data directory and returns what it printed (the token).</summary>
    public static async Task<string> AddDeviceAsync(string dataDir, params string[] arguments)
    {
        var result = await ProcessRunner.RunAsync("dotnet", [GatewayProcess.AssemblyPath, "devices", "add", .. arguments, $"--data-dir={dataDir}"]);
        Assert.True(result.ExitCode == 0, result.Describe());
        return result.StandardOutput.Trim();
    }

    /// <summary>The gateway's arguments for this broker; health telemetry off so only device data reaches <c>v1/gateway/telemetry</c>.</summary>
    public string[] GatewayArguments(string clientId, params string[] extra) =>
        ["--Mqtt:Host=127.0.0.1", $"--Mqtt:Port={Port.ToString(CultureInfo.InvariantCulture)}", $"--Mqtt:ClientId={clientId}",
         "--Gateway:HealthIntervalSeconds=0", "--Mqtt:ReconnectMaxSeconds=1", .. extra];

    public Task PublishAsync(string topic, string payload) =>
        MosquittoBroker.RunToolAsync("mosquitto_pub", "-h", "127.0.0.1", "-p", Port.ToString(CultureInfo.InvariantCulture), "-q", "1",
            "-t", topic, "-m", payload);

    /// <summary>The payload of the first line on <paramref name="topic"/> (exact topic) whose JSON satisfies <paramref name="match"/>.</summary>
    public async Task<JsonNode> WaitAsync(string topic, Func<JsonNode, bool> match, string what)
    {
        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < WaitLimit)
        {
            foreach (var (t, payload) in Messages())
                if (t == topic && payload is not null && match(payload)) return payload;
            await Task.Delay(100);
        }
        Assert.Fail($"the cloud did not receive {what} on {topic} within {WaitLimit.TotalSeconds} s; it saw:\n{string.Join('\n', Lines)}\n{Diagnostics?.Invoke()}");
        return null!;
    }

    /// <summary>The first received line (<c>topic payload</c>) that satisfies <paramref name="match"/>.</summary>
    public async Task<string> WaitLineAsync(Func<string, bool> match)
    {
        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < WaitLimit)
        {
            if (Lines.FirstOrDefault(match) is { } line) return line;
            await Task.Delay(100);
        }
        Assert.Fail($"the cloud did not receive the expected message within {WaitLimit.TotalSeconds} s; it saw:\n{string.Join('\n', Lines)}\n{Diagnostics?.Invoke()}");
        return "";
    }

    /// <summary>Waits until <paramref name="device"/> has at least <paramref name="count"/> telemetry entries and returns them in arrival order.</summary>
    public async Task<IReadOnlyList<JsonObject>> WaitTelemetryAsync(string device, int count)
    {
        var deadline = Stopwatch.StartNew();
        IReadOnlyList<JsonObject> entries = [];
        while (deadline.Elapsed < WaitLimit)
        {
            entries = TelemetryEntries(device);
            if (entries.Count >= count) return entries;
            await Task.Delay(100);
        }
        Assert.Fail($"the cloud saw {entries.Count} of {count} telemetry entries of {device} within {WaitLimit.TotalSeconds} s; it saw:\n{string.Join('\n', Lines)}\n{Diagnostics?.Invoke()}");
        return entries;
    }

    /// <summary>
    /// Every <c>{"ts","values"}</c> entry of one device over all <c>v1/gateway/telemetry</c> messages, in order: the
    /// gateway may pack several devices and rows into one message (thingsboard.md §4.2/§4.3), so tests compare entries.
    /// </summary>
    public IReadOnlyList<JsonObject> TelemetryEntries(string device) =>
        [.. Messages().Where(m => m.Topic == "v1/gateway/telemetry" && m.Payload?[device] is JsonArray)
            .SelectMany(m => m.Payload![device]!.AsArray().Select(e => e!.AsObject()))];

    public IEnumerable<(string Topic, JsonNode? Payload)> Messages()
    {
        foreach (var line in Lines.ToArray())
        {
            int space = line.IndexOf(' ', StringComparison.Ordinal);
            if (space < 0) continue;
            JsonNode? payload;
            try { payload = JsonNode.Parse(line[(space + 1)..]); }
            catch (System.Text.Json.JsonException) { payload = null; }
            yield return (line[..space], payload);
        }
    }

    public void Dispose()
    {
        foreach (var subscriber in _subscribers)
        {
            if (!subscriber.HasExited) subscriber.Kill();
            subscriber.Dispose();
        }
        Broker.Dispose();
    }
}
