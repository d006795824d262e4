using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using Gateway.Coap.Codec;
using Gateway.Coap.Messages;

namespace Gateway.Bench.Coap;

/// <summary>
/// A CoAP server under test, started as a child process on a loopback port and stopped by its PID
/// (SIGTERM, then SIGKILL). Its output is drained into a short tail so a full pipe never stalls it
/// and a crash can be shown.
/// </summary>
internal sealed class BenchServer : IDisposable
{
    private const int SigTerm = 15;
    private readonly string _fileName;
    private readonly string[] _arguments;
    private readonly Queue<string> _tail = new();
    private Process? _process;
    private long _outputLines;
    private long _peakResidentKiB = -1;

    public BenchServer(string name, string fileName, IEnumerable<string> arguments, int port, string path, BenchRequest? request = null)
    {
        Name = name;
        _fileName = fileName;
        _arguments = [.. arguments];
        Port = port;
        Path = path;
        Request = request ?? BenchRequest.Get;
        RequestTemplate = BuildRequest(path, Request);
    }

    public BenchRequest Request { get; }

    public string Name { get; }
    public int Port { get; }
    public string Path { get; }
    public IPEndPoint EndPoint => new(IPAddress.Loopback, Port);
    public int Pid => _process?.Id ?? -1;
    public bool HasExited => _process is null || _process.HasExited;
    public long OutputLines => Interlocked.Read(ref _outputLines);

    /// <summary>A CON request with an 8-byte token and Uri-Path options; MID and token are patched per request.</summary>
    public byte[] RequestTemplate { get; }

    public string CommandLine => $"{_fileName} {string.Join(' ', _arguments)}";

    /// <summary>Starts the server; a stopped one is started afresh (a new process, same port).</summary>
    public void Start()
    {
        Stop();
        _process?.Dispose();
        var start = new ProcessStartInfo(_fileName)
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true, // so the child never reads the bench's terminal (Ctrl-C goes to both anyway)
        };
        foreach (var argument in _arguments) start.ArgumentList.Add(argument);
        _process = Process.Start(start) ?? throw new InvalidOperationException($"cannot start {_fileName}");
        _process.OutputDataReceived += (_, e) => Keep(e.Data);
        _process.ErrorDataReceived += (_, e) => Keep(e.Data);
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
    }

    /// <summary>Sends single GETs until one is answered; returns a one-line description of the answer.</summary>
    public string WaitReady(TimeSpan timeout, CancellationToken cancel)
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        socket.ReceiveTimeout = 200;
        var buffer = new byte[2048];
        var request = (byte[])RequestTemplate.Clone();
        var until = Stopwatch.GetTimestamp() + (long)(timeout.TotalSeconds * Stopwatch.Frequency);
        ushort mid = (ushort)Random.Shared.Next(65536);
        while (Stopwatch.GetTimestamp() < until && !cancel.IsCancellationRequested)
        {
            if (HasExited) throw new InvalidOperationException($"{Name} exited during start-up (code {_process?.ExitCode}):\n{Tail()}");
            mid++;
            request[2] = (byte)(mid >> 8);
            request[3] = (byte)mid;
            socket.SendTo(request, EndPoint);
            try
            {
                // Read until this request's answer or the timeout: answers to earlier requests that came late are
                // skipped, or every later request would read the one before it and never match.
                while (true)
                {
                    EndPoint from = new IPEndPoint(IPAddress.Any, 0);
                    int length = socket.ReceiveFrom(buffer, ref from);
                    if (CoapCodec.TryDecode(buffer.AsMemory(0, length).ToArray(), out var message, out _) && message.MessageId == mid)
                        return $"{message.Code} {message.Payload.Length} B payload, {length} B datagram";
                }
            }
            catch (SocketException)
            {
                Thread.Sleep(100); // not listening yet (refused) or no answer within 200 ms
            }
        }
        throw new TimeoutException($"{Name} did not answer {Request.Method} {Path} on port {Port} within {timeout.TotalSeconds:0} s:\n{Tail()}");
    }

    public ProcessCpu ReadCpu() => ProcessCpu.Read(Pid);

    /// <summary>VmHWM from /proc: the largest resident set any process of this server has had, in KiB (-1 if unreadable).</summary>
    public long PeakResidentKiB() => Math.Max(_peakResidentKiB, CurrentPeakResidentKiB());

    private long CurrentPeakResidentKiB()
    {
        if (HasExited) return -1;
        try
        {
            foreach (var line in File.ReadLines($"/proc/{Pid}/status"))
                if (line.StartsWith("VmHWM:", StringComparison.Ordinal))
                    return long.Parse(line[6..].Trim().Split(' ')[0], System.Globalization.CultureInfo.InvariantCulture);
        }
        catch (IOException) { }
        return -1;
    }

    public string Tail()
    {
        lock (_tail) return string.Join('\n', _tail);
    }

    /// <summary>Stops the server by PID: SIGTERM for a clean shutdown, SIGKILL if it takes over 5 s. Idempotent.</summary>
    public void Stop()
    {
        var process = _process;
        if (process is null) return;
        try
        {
            if (!process.HasExited)
            {
                _peakResidentKiB = Math.Max(_peakResidentKiB, CurrentPeakResidentKiB());
                _ = kill(process.Id, SigTerm);
                if (!process.WaitForExit(5000)) process.Kill(entireProcessTree: true);
                process.WaitForExit(5000);
            }
        }
        catch (InvalidOperationException)
        {
            // Already gone.
        }
    }

    public void Dispose()
    {
        Stop();
        _process?.Dispose();
        _process = null;
    }

    private void Keep(string? line)
    {
        if (line is null) return;
        Interlocked.Increment(ref _outputLines);
        lock (_tail)
        {
            _tail.Enqueue(line);
            while (_tail.Count > 40) _tail.Dequeue();
        }
    }

    internal static byte[] BuildRequest(string path, BenchRequest request)
    {
        var options = path.Split('/', StringSplitOptions.RemoveEmptyEntries)
            .Select(segment => CoapOption.FromString(CoapOptionNumber.UriPath, Uri.UnescapeDataString(segment)))
            .ToList();
        if (request.ContentFormat is { } format) options.Add(CoapOption.FromUInt(CoapOptionNumber.ContentFormat, (uint)format));
        var token = new byte[8];
        var buffer = new byte[CoapCodec.GetEncodedLength(token.Length, options, request.Payload.Length)];
        int written = CoapCodec.Encode(CoapMessageType.Confirmable, request.Method, 0, token, options, request.Payload, buffer);
        return buffer.AsSpan(0, written).ToArray();
    }

    [DllImport("libc", SetLastError = true)]
    private static extern int kill(int pid, int signal);
}
