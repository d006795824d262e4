using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net.Http;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json.Nodes;

namespace Gateway.Interop.Tests.Support;

/// <summary>
/// Debian's <c>chromium</c>, headless, driven over the Chrome DevTools Protocol (a WebSocket of JSON
/// commands and events) with <see cref="ClientWebSocket"/>. Chosen over Selenium + chromedriver because
/// the assertions the status page needs are CDP events themselves — every request the page makes
/// (<c>Network.requestWillBeSent</c>) and every console error or uncaught exception
/// (<c>Runtime.consoleAPICalled</c>, <c>Runtime.exceptionThrown</c>, <c>Log.entryAdded</c>) — which
/// Selenium only exposes through vendor logging options; and it keeps the test in C# with no Python
/// packages. Started and stopped by PID, with its own throw-away profile directory.
/// </summary>
public sealed class HeadlessChromium : IAsyncDisposable
{
    public const string Binary = "/usr/bin/chromium";
    private static readonly TimeSpan CommandLimit = TimeSpan.FromSeconds(30);
    private readonly Process _process;
    private readonly string _profile;
    private readonly ClientWebSocket _socket = new();
    private readonly ConcurrentDictionary<int, TaskCompletionSource<JsonObject>> _pending = new();
    private readonly CancellationTokenSource _stop = new();
    private Task _receiving = Task.CompletedTask;
    private int _nextId;

    private HeadlessChromium(Process process, string profile)
    {
        _process = process;
        _profile = profile;
    }

    /// <summary>Every CDP event received, in order (method and params).</summary>
    public ConcurrentQueue<JsonObject> Events { get; } = new();

    /// <summary>Why a browser test cannot run here, or null when chromium is installed.</summary>
    public static string? Unavailable => File.Exists(Binary) ? null : $"{Binary} is not installed (tests/run installs Debian's chromium)";

    public static async Task<HeadlessChromium> StartAsync()
    {
        var profile = Directory.CreateTempSubdirectory("chromium-").FullName;
        var start = new ProcessStartInfo(Binary)
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        // --no-sandbox: the tests run as root in a container, where chromium's sandbox cannot start.
        foreach (var argument in new[] { "--headless", "--no-sandbox", "--disable-gpu", "--remote-debugging-port=0", $"--user-data-dir={profile}",
            "--no-first-run", "--no-default-browser-check", "--disable-extensions", "--disable-background-networking", "--disable-sync",
            "--disable-component-update", "--disable-default-apps", "--window-size=1100,1400", "about:blank" })
            start.ArgumentList.Add(argument);
        var process = Process.Start(start) ?? throw new InvalidOperationException("chromium did not start");
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var browser = new HeadlessChromium(process, profile);
        try
        {
            await browser.ConnectAsync();
        }
        catch
        {
            await browser.DisposeAsync();
            throw;
        }
        return browser;
    }

    private async Task ConnectAsync()
    {
        // With port 0 chromium picks a free port and writes it to DevToolsActivePort in the profile.
        var portFile = Path.Combine(_profile, "DevToolsActivePort");
        var deadline = Stopwatch.StartNew();
        string? port = null;
        while (deadline.Elapsed < CommandLimit && port is null)
        {
            if (_process.HasExited) throw new InvalidOperationException($"chromium exited with {_process.ExitCode}");
            if (File.Exists(portFile) && File.ReadAllLines(portFile) is [var first, ..] && first.Length > 0) port = first;
            else await Task.Delay(100);
        }
        if (port is null) throw new TimeoutException("chromium did not open its DevTools port");
        using var http = new HttpClient { Timeout = CommandLimit };
        var targets = JsonNode.Parse(await http.GetStringAsync(new Uri($"http://127.0.0.1:{port}/json/list")))!.AsArray();
        var page = targets.First(t => (string?)t!["type"] == "page")!;
        await _socket.ConnectAsync(new Uri((string)page["webSocketDebuggerUrl"]!), _stop.Token);
        _receiving = Task.Run(ReceiveAsync);
        foreach (var domain in new[] { "Runtime", "Log", "Network", "Page" }) await SendAsync(domain + ".enable");
    }

    public async Task<JsonObject> SendAsync(string method, JsonObject? parameters = null)
    {
        var id = Interlocked.Increment(ref _nextId);
        var reply = new TaskCompletionSource<JsonObject>(TaskCreationOptions.RunContinuationsAsynchronously);
        _pending[id] = reply;
        var message = new JsonObject { ["id"] = id, ["method"] = method, ["params"] = parameters ?? new JsonObject() };
        await _socket.SendAsync(Encoding.UTF8.GetBytes(message.ToJsonString()), WebSocketMessageType.Text, true, _stop.Token);
        var answer = await reply.Task.WaitAsync(CommandLimit);
        if (answer["error"] is { } error) throw new InvalidOperationException($"{method}: {error.ToJsonString()}");
        return answer["result"]?.AsObject() ?? new JsonObject();
    }

    public Task NavigateAsync(string url) => SendAsync("Page.navigate", new JsonObject { ["url"] = url });

    /// <summary>Evaluates a JavaScript expression in the page and returns its value (JSON), awaiting a promise.</summary>
    public async Task<JsonNode?> EvaluateAsync(string expression)
    {
        var result = await SendAsync("Runtime.evaluate", new JsonObject { ["expression"] = expression, ["returnByValue"] = true, ["awaitPromise"] = true });
        if (result["exceptionDetails"] is { } exception) throw new InvalidOperationException($"{expression}: {exception.ToJsonString()}");
        return result["result"]?["value"]?.DeepClone();
    }

    /// <summary>A PNG of the page as it is now.</summary>
    public async Task<byte[]> ScreenshotAsync()
    {
        var result = await SendAsync("Page.captureScreenshot", new JsonObject { ["format"] = "png", ["captureBeyondViewport"] = true });
        return Convert.FromBase64String((string)result["data"]!);
    }

    /// <summary>Console errors, uncaught exceptions and browser log errors seen so far, one line each.</summary>
    public IReadOnlyList<string> Errors() =>
        [.. Events.Where(e => (string?)e["method"] switch
            {
                "Runtime.exceptionThrown" => true,
                "Runtime.consoleAPICalled" => (string?)e["params"]?["type"] is "error" or "assert",
                "Log.entryAdded" => (string?)e["params"]?["entry"]?["level"] == "error",
                _ => false,
            }).Select(e => e.ToJsonString())];

    /// <summary>The URL of every request the page made.</summary>
    public IReadOnlyList<string> RequestUrls() =>
        [.. Events.Where(e => (string?)e["method"] == "Network.requestWillBeSent").Select(e => (string)e["params"]!["request"]!["url"]!)];

    private async Task ReceiveAsync()
    {
        var buffer = new byte[1 << 16];
        using var message = new MemoryStream();
        try
        {
            while (_socket.State == WebSocketState.Open)
            {
                var received = await _socket.ReceiveAsync(buffer, _stop.Token);
                if (received.MessageType == WebSocketMessageType.Close) return;
                message.Write(buffer, 0, received.Count);
                if (!received.EndOfMessage) continue;
                var json = JsonNode.Parse(message.ToArray())!.AsObject();
                message.SetLength(0);
                if (json["id"] is { } id && _pending.TryRemove((int)id, out var reply)) reply.TrySetResult(json);
                else if (json["method"] is not null) Events.Enqueue(json);
            }
        }
        catch (Exception e) when (e is OperationCanceledException or WebSocketException)
        {
            // Closing: the browser went away or the test is done.
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        try { await _receiving; } catch (OperationCanceledException) { }
        _socket.Dispose();
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync(new CancellationTokenSource(TimeSpan.FromSeconds(10)).Token);
        }
        _process.Dispose();
        _stop.Dispose();
        try { Directory.Delete(_profile, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}
