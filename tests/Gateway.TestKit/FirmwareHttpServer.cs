using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Gateway.TestKit;

/// <summary>
/// A plain HTTP/1.1 server on a free loopback port serving firmware images by path (RFC 9110): 200 with
/// Content-Length and a strong ETag, 206 for <c>Range: bytes=N-</c> (honouring If-Range), 404 for an
/// unknown path. <see cref="DropAfter"/> makes the next responses close the connection after that many body
/// bytes, as a link lost mid-download. Every request's headers are kept for assertions. One connection per
/// request (<c>Connection: close</c>).
/// </summary>
public sealed class FirmwareHttpServer : IDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly ConcurrentDictionary<string, byte[]> _images = new(StringComparer.Ordinal);
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _accepting;
    private int _drops;

    public FirmwareHttpServer()
    {
        _listener.Start();
        Port = ((IPEndPoint)_listener.LocalEndpoint).Port;
        _accepting = Task.Run(AcceptAsync);
    }

    public int Port { get; }

    /// <summary>Requests received: request line and headers (names lower-case).</summary>
    public ConcurrentQueue<(string Path, IReadOnlyDictionary<string, string> Headers)> Requests { get; } = new();

    /// <summary>Body bytes sent before the connection is dropped, for the next <see cref="DropCount"/> responses.</summary>
    public int DropAfter { get; set; }

    public int DropCount { get => _drops; set => _drops = value; }

    public string Url(string path) => $"http://127.0.0.1:{Port.ToString(CultureInfo.InvariantCulture)}/{path}";

    public void Serve(string path, byte[] image) => _images[path] = image;

    private async Task AcceptAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            TcpClient client;
            try { client = await _listener.AcceptTcpClientAsync(_stop.Token); }
            catch (Exception) when (_stop.IsCancellationRequested) { return; }
            catch (SocketException) { continue; }
            _ = Task.Run(() => HandleAsync(client));
        }
    }

    private async Task HandleAsync(TcpClient client)
    {
        using (client)
        {
            try
            {
                var stream = client.GetStream();
                var (path, headers) = await ReadHeadAsync(stream);
                Requests.Enqueue((path, headers));
                if (!_images.TryGetValue(path.TrimStart('/').Split('?')[0], out var image))
                {
                    await WriteAsync(stream, "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
                    return;
                }
                string etag = $"\"{Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(image))[..16]}\"";
                long from = 0;
                if (headers.TryGetValue("range", out var range) && range.StartsWith("bytes=", StringComparison.Ordinal) && range.EndsWith('-')
                    && (!headers.TryGetValue("if-range", out var ifRange) || ifRange == etag))
                    from = long.Parse(range[6..^1], CultureInfo.InvariantCulture);
                if (from > image.Length)
                {
                    await WriteAsync(stream, $"HTTP/1.1 416 Range Not Satisfiable\r\nContent-Range: bytes */{image.Length}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
                    return;
                }
                var head = new StringBuilder(from > 0 ? "HTTP/1.1 206 Partial Content\r\n" : "HTTP/1.1 200 OK\r\n");
                if (from > 0) head.Append(CultureInfo.InvariantCulture, $"Content-Range: bytes {from}-{image.Length - 1}/{image.Length}\r\n");
                head.Append(CultureInfo.InvariantCulture, $"Content-Length: {image.Length - from}\r\nContent-Type: application/octet-stream\r\nETag: {etag}\r\nAccept-Ranges: bytes\r\nConnection: close\r\n\r\n");
                await WriteAsync(stream, head.ToString());
                int length = image.Length - (int)from;
                if (Interlocked.Decrement(ref _drops) >= 0) length = Math.Min(length, DropAfter);
                await stream.WriteAsync(image.AsMemory((int)from, length));
                await stream.FlushAsync();
                // Closing without the rest: the client sees the body end before Content-Length.
                client.Client.LingerState = new LingerOption(true, 0);
            }
            catch (IOException)
            {
                // The client went away.
            }
        }
    }

    private static async Task<(string Path, Dictionary<string, string> Headers)> ReadHeadAsync(NetworkStream stream)
    {
        var bytes = new List<byte>();
        var one = new byte[1];
        while (bytes.Count < 16384 && !(bytes.Count >= 4 && bytes[^4] == '\r' && bytes[^3] == '\n' && bytes[^2] == '\r' && bytes[^1] == '\n'))
        {
            if (await stream.ReadAsync(one) == 0) break;
            bytes.Add(one[0]);
        }
        var lines = Encoding.ASCII.GetString([.. bytes]).Split("\r\n", StringSplitOptions.RemoveEmptyEntries);
        var path = lines.Length > 0 && lines[0].Split(' ') is { Length: >= 2 } parts ? parts[1] : "/";
        var headers = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var line in lines.Skip(1))
        {
            int colon = line.IndexOf(':', StringComparison.Ordinal);
            if (colon > 0) headers[line[..colon].Trim().ToLowerInvariant()] = line[(colon + 1)..].Trim();
        }
        return (path, headers);
    }

    private static Task WriteAsync(NetworkStream stream, string text) => stream.WriteAsync(Encoding.ASCII.GetBytes(text)).AsTask();

    public void Dispose()
    {
        _stop.Cancel();
        _listener.Stop();
        try { _accepting.Wait(TimeSpan.FromSeconds(5)); } catch (AggregateException) { }
        _stop.Dispose();
    }
}
