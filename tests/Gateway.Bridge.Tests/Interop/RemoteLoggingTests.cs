using System.Collections.Concurrent;
using System.Globalization;
using System.Text.Json;
using Gateway.Mqtt.Client;
using Gateway.TestKit;
using Microsoft.Extensions.Logging;

namespace Gateway.Bridge.Tests.Interop;

/// <summary>
/// Issue 23 "warnings and errors as telemetry", against mosquitto playing ThingsBoard: the gateway
/// device's shared attribute <c>RemoteLoggingLevel</c> turns shipping on and off; entries arrive on
/// <c>v1/devices/me/telemetry</c> with text, level, event id and time; the bounded queue drops and counts.
/// </summary>
public sealed class RemoteLoggingTests
{
    [Fact]
    public async Task WarningsAndErrors_GoUp_OnlyWhileTheAttributeAsks_AndOverflowIsCounted()
    {
        using var broker = new MosquittoBroker();
        var port = broker.Port.ToString(CultureInfo.InvariantCulture);
        var lines = new ConcurrentQueue<string>();
        using var cloud = MosquittoBroker.StartTool("mosquitto_sub", "-h", "127.0.0.1", "-p", port, "-t", "v1/devices/me/#", "-q", "1", "-v");
        cloud.OutputDataReceived += (_, e) => { if (e.Data is not null) lines.Enqueue(e.Data); };
        cloud.BeginOutputReadLine();
        try
        {
            await using var h = new BridgeHarness(new MqttClientOptions
            {
                Host = "127.0.0.1", Port = broker.Port, ClientId = "gw-logs", KeepAliveSeconds = 30, ReconnectMinSeconds = 0.1, ReconnectMaxSeconds = 0.5,
            }, o => o.RemoteLogsPerSecond = 50);
            var logger = h.Logs.CreateLogger("Gateway.Devices.Test");
            await h.StartAsync();
            // After each connect the gateway asks for the level (nobody answers here: it stays off).
            await BridgeHarness.WaitForAsync(() => lines.Any(l => l.StartsWith("v1/devices/me/attributes/request/1 ", StringComparison.Ordinal)), "the level request");

            logger.LogWarning(new EventId(901), "before: not shipped");
            Assert.Equal(0, h.Logs.Queued);
            Assert.False(logger.IsEnabled(LogLevel.Error));

            await PublishAsync(port, "v1/devices/me/attributes", """{"RemoteLoggingLevel":"WARNING"}""");
            await BridgeHarness.WaitForAsync(() => logger.IsEnabled(LogLevel.Warning), "the level to apply");
            logger.LogInformation(new EventId(902), "information: not shipped");
            logger.LogWarning(new EventId(903), "disk at {Percent} %", 91);
            logger.LogError(new EventId(904), new IOException("no space"), "write failed");
            await BridgeHarness.WaitForAsync(() => Logs(lines).Count >= 2, "two log entries upstream");
            var shipped = Logs(lines);
            Assert.Equal(["disk at 91 %", "write failed (IOException: no space)"], shipped.Select(l => l.Text));
            Assert.Equal(["WARNING", "ERROR"], shipped.Select(l => l.Level));
            Assert.Equal([903, 904], shipped.Select(l => l.EventId));
            Assert.All(shipped, l => Assert.InRange(l.Ts, DateTimeOffset.UtcNow.AddMinutes(-5).ToUnixTimeMilliseconds(), DateTimeOffset.UtcNow.ToUnixTimeMilliseconds()));

            // ERROR only: warnings stop.
            await PublishAsync(port, "v1/devices/me/attributes", """{"RemoteLoggingLevel":"ERROR"}""");
            await BridgeHarness.WaitForAsync(() => !logger.IsEnabled(LogLevel.Warning), "ERROR to apply");
            var queued = h.Logs.Queued;
            logger.LogWarning(new EventId(905), "below the level");
            Assert.Equal(queued, h.Logs.Queued);

            // A burst beyond the bounded queue: the surplus is dropped and counted, never blocks the caller.
            for (int i = 0; i < CloudLogProviderCapacity + 100; i++) logger.LogError(new EventId(906), "burst {I}", i);
            Assert.True(h.Logs.Dropped >= 100 - 5, $"dropped {h.Logs.Dropped}");

            // Deleted attribute: off.
            await PublishAsync(port, "v1/devices/me/attributes", """{"deleted":["RemoteLoggingLevel"]}""");
            await BridgeHarness.WaitForAsync(() => !logger.IsEnabled(LogLevel.Critical), "the deletion to apply");
        }
        finally
        {
            if (!cloud.HasExited) cloud.Kill();
        }
    }

    private const int CloudLogProviderCapacity = Gateway.Bridge.Logs.CloudLogProvider.Capacity;

    private static Task PublishAsync(string port, string topic, string payload) =>
        MosquittoBroker.RunToolAsync("mosquitto_pub", "-h", "127.0.0.1", "-p", port, "-t", topic, "-q", "1", "-m", payload);

    private static List<(string Text, string Level, int EventId, long Ts)> Logs(IEnumerable<string> lines)
    {
        var result = new List<(string, string, int, long)>();
        const string topic = "v1/devices/me/telemetry ";
        foreach (var line in lines.Where(l => l.StartsWith(topic, StringComparison.Ordinal)))
        {
            using var doc = JsonDocument.Parse(line[topic.Length..]);
            foreach (var item in doc.RootElement.EnumerateArray())
            {
                var values = item.GetProperty("values");
                if (!values.TryGetProperty("LOGS", out var text)) continue;
                result.Add((text.GetString()!, values.GetProperty("log_level").GetString()!, values.GetProperty("log_event_id").GetInt32(), item.GetProperty("ts").GetInt64()));
            }
        }
        return result;
    }
}
