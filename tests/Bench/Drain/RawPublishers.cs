using System.Diagnostics;
using System.Globalization;
using MQTTnet;
using MQTTnet.Protocol;

namespace Gateway.Bench.Drain;

/// <summary>
/// The reference senders: the same gateway-API messages, one per line of a file written before the clock
/// starts, published QoS 1 by MQTTnet alone and by <c>mosquitto_pub -l</c>, each a process of its own
/// with a window of PUBLISHes awaiting PUBACK (no storage, no packing at send time).
/// </summary>
internal static class RawPublishers
{
    /// <summary>
    /// MQTTnet alone, in a process of its own as <c>mosquitto_pub</c> is (<c>Bench mqttnet-pub</c>,
    /// <see cref="MqttNetPublisherMainAsync"/>), reading the same lines file: in this process it shared the thread pool
    /// and the GC with the counting subscriber on two cores.
    /// </summary>
    public static Task MqttNetProcessAsync(int port, string linesFile, int window, Task delivered) =>
        // It exits once the broker has acknowledged every PUBLISH, which may come before the subscriber has them all.
        RunSenderAsync(BenchProcess("mqttnet-pub", P(port), linesFile, P(window)), "the MQTTnet publisher", delivered, input: null, mayExitFirst: true);

    /// <summary>This bench run again as a child process with <paramref name="args"/> (a sender of its own).</summary>
    internal static ProcessStartInfo BenchProcess(params string[] args)
    {
        string self = Environment.ProcessPath ?? throw new InvalidOperationException("no process path");
        var psi = new ProcessStartInfo(self);
        // Under `dotnet Bench.dll` the process is the host; the bench is the entry assembly.
        if (Path.GetFileNameWithoutExtension(self) == "dotnet") psi.ArgumentList.Add(typeof(RawPublishers).Assembly.Location);
        foreach (var a in args) psi.ArgumentList.Add(a);
        return psi;
    }

    /// <summary>
    /// <c>Bench mqttnet-pub PORT LINES_FILE WINDOW</c>: publishes every line QoS 1 with up to WINDOW PUBLISHes awaiting
    /// PUBACK (MQTT 5, one socket write per packet, Nagle off), first (at most <see cref="WarmUpMessages"/> of them) to a topic
    /// nobody subscribes to, untimed, so that the JIT has compiled the publishing path before the measured messages.
    /// </summary>
    public static async Task<int> MqttNetPublisherMainAsync(string[] args)
    {
        if (args.Length != 3) { Console.Error.WriteLine("usage: Bench mqttnet-pub PORT LINES_FILE WINDOW"); return 2; }
        int port = int.Parse(args[0], CultureInfo.InvariantCulture), window = int.Parse(args[2], CultureInfo.InvariantCulture);
        var messages = ReadLines(args[1]);
        using var client = new MqttClientFactory().CreateMqttClient();
        var options = new MqttClientOptionsBuilder().WithTcpServer("127.0.0.1", port).WithClientId($"drain-raw-{Guid.NewGuid():N}")
            .WithProtocolVersion(MQTTnet.Formatter.MqttProtocolVersion.V500).WithCleanStart().WithoutPacketFragmentation().Build();
        // As the gateway's connection does (MqttWire): with Nagle on, a packet a few bytes longer than loopback's MSS
        // (65,483) left its last segment waiting for the broker's delayed ACK, 40 ms a packet.
        ((MqttClientTcpOptions)options.ChannelOptions).NoDelay = true;
        await client.ConnectAsync(options);
        await PublishAsync(client, "bench/warm-up", messages.AsSpan(0, Math.Min(messages.Length, WarmUpMessages)).ToArray(), window);
        await PublishAsync(client, RowCounter.Topic, messages, window);
        await client.DisconnectAsync();
        return 0;
    }

    private const int WarmUpMessages = 100_000;

    private static async Task PublishAsync(IMqttClient client, string topic, byte[][] payloads, int window)
    {
        var pending = new Task<MqttClientPublishResult>?[window];
        for (int i = 0; i < payloads.Length; i++)
        {
            int slot = i % window;
            if (pending[slot] is { } previous) Check(await previous);
            pending[slot] = client.PublishAsync(new MqttApplicationMessageBuilder().WithTopic(topic).WithPayload(payloads[i])
                .WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce).Build());
        }
        foreach (var task in pending) if (task is not null) Check(await task);
    }

    /// <summary>The lines of a messages file, one message each.</summary>
    internal static byte[][] ReadLines(string path)
    {
        var all = File.ReadAllBytes(path).AsSpan();
        var lines = new List<byte[]>();
        for (int at; (at = all.IndexOf((byte)'\n')) >= 0; all = all[(at + 1)..]) lines.Add(all[..at].ToArray());
        if (!all.IsEmpty) lines.Add(all.ToArray());
        return [.. lines];
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
    public static Task MosquittoPubAsync(int port, string linesFile, int window, Task delivered) =>
        RunSenderAsync(new ProcessStartInfo("mosquitto_pub", ["-h", "127.0.0.1", "-p", P(port), "-q", "1", "-V", "5", "-M", P(window),
            "-i", $"drain-pub-{Guid.NewGuid():N}", "-t", RowCounter.Topic, "-l"]), "mosquitto_pub", delivered, input: linesFile, mayExitFirst: false);

    /// <summary>
    /// Runs a sender until the subscriber has every row (<paramref name="delivered"/>), with <paramref name="input"/>
    /// (a file) on its standard input, kept open until then; an exit before then is a failure unless
    /// <paramref name="mayExitFirst"/> (and a non-zero exit always is). Killed if it has not ended 30 s after delivery.
    /// </summary>
    internal static async Task RunSenderAsync(ProcessStartInfo psi, string name, Task delivered, string? input, bool mayExitFirst)
    {
        psi.UseShellExecute = false;
        psi.RedirectStandardError = true;
        psi.RedirectStandardInput = input is not null;
        using var process = Process.Start(psi) ?? throw new InvalidOperationException($"{name} did not start");
        var error = process.StandardError.ReadToEndAsync();
        if (input is not null)
        {
            await using (var file = File.OpenRead(input)) await file.CopyToAsync(process.StandardInput.BaseStream);
            await process.StandardInput.BaseStream.FlushAsync();
        }
        await Task.WhenAny(delivered, process.WaitForExitAsync());
        if (process.HasExited && (!mayExitFirst || process.ExitCode != 0))
            throw new InvalidOperationException($"{name} exited {process.ExitCode} before every row arrived: {await error}");
        if (input is not null) process.StandardInput.Close();
        using var limit = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        try { await process.WaitForExitAsync(limit.Token); }
        catch (OperationCanceledException) { process.Kill(); }
    }

    internal static string P(int n) => n.ToString(CultureInfo.InvariantCulture);
}
