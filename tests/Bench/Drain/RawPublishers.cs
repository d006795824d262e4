using System.Diagnostics;
using System.Globalization;
using MQTTnet;
using MQTTnet.Protocol;

namespace Gateway.Bench.Drain;

/// <summary>
/// The reference senders: the same gateway-API messages published QoS 1 by MQTTnet alone (no
/// storage, no packing at send time: every payload is encoded before the clock starts) and by
/// <c>mosquitto_pub -l</c> (one message per line of a file), each with a window of PUBLISHes
/// awaiting PUBACK.
/// </summary>
internal static class RawPublishers
{
    /// <summary>
    /// Pipelined: up to <paramref name="window"/> PUBLISHes outstanding, awaited in order. MQTTnet
    /// settings: MQTT 5, no packet fragmentation (one socket write per packet).
    /// </summary>
    public static async Task MqttNetAsync(int port, IReadOnlyList<byte[]> payloads, int window)
    {
        using var client = new MqttClientFactory().CreateMqttClient();
        await client.ConnectAsync(new MqttClientOptionsBuilder().WithTcpServer("127.0.0.1", port).WithClientId($"drain-raw-{Guid.NewGuid():N}")
            .WithProtocolVersion(MQTTnet.Formatter.MqttProtocolVersion.V500).WithCleanStart().WithoutPacketFragmentation().Build());
        var pending = new Task<MqttClientPublishResult>?[window];
        for (int i = 0; i < payloads.Count; i++)
        {
            int slot = i % window;
            if (pending[slot] is { } previous) Check(await previous);
            pending[slot] = client.PublishAsync(new MqttApplicationMessageBuilder().WithTopic(RowCounter.Topic).WithPayload(payloads[i])
                .WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce).Build());
        }
        foreach (var task in pending) if (task is not null) Check(await task);
        await client.DisconnectAsync();
    }

    private static void Check(MqttClientPublishResult result)
    {
        if (!result.IsSuccess) throw new InvalidOperationException($"raw MQTTnet publish refused: {result.ReasonCode}");
    }

    /// <summary>
    /// <c>mosquitto_pub -q 1 -V 5 -M WINDOW -l</c> with <paramref name="linesFile"/> written to its standard
    /// input, which stays open until <paramref name="delivered"/>: mosquitto 2.0.11's client, at the end
    /// of its input, exits with status 0 before it has sent what it still holds (a third of 100,000
    /// lines arrived), so the end of input must not come first.
    /// </summary>
    public static async Task MosquittoPubAsync(int port, string linesFile, int window, Task delivered)
    {
        string P(int n) => n.ToString(CultureInfo.InvariantCulture);
        var psi = new ProcessStartInfo("mosquitto_pub", ["-h", "127.0.0.1", "-p", P(port), "-q", "1", "-V", "5", "-M", P(window), "-i", $"drain-pub-{Guid.NewGuid():N}", "-t", RowCounter.Topic, "-l"])
            { UseShellExecute = false, RedirectStandardInput = true, RedirectStandardError = true };
        using var process = Process.Start(psi) ?? throw new InvalidOperationException("mosquitto_pub did not start");
        var error = process.StandardError.ReadToEndAsync();
        await using (var file = File.OpenRead(linesFile)) await file.CopyToAsync(process.StandardInput.BaseStream);
        await process.StandardInput.BaseStream.FlushAsync();
        await Task.WhenAny(delivered, process.WaitForExitAsync());
        if (process.HasExited) throw new InvalidOperationException($"mosquitto_pub exited {process.ExitCode} before every row arrived: {await error}");
        process.StandardInput.Close();
        using var limit = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        try { await process.WaitForExitAsync(limit.Token); }
        catch (OperationCanceledException) { process.Kill(); }
    }
}
