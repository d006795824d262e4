using System.Net;
using System.Net.Sockets;

namespace Gateway.Mqtt.Tests.Client;

/// <summary>
/// A loopback TCP relay in front of a broker that can make the links it carries go silently dead
/// (<see cref="Freeze"/>: bytes are swallowed both ways and no FIN or RST is passed on), as a
/// half-dead NAT or a pulled cable would. Connections made afterwards pass normally.
/// </summary>
internal sealed class FreezingTcpRelay : IDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly int _target;
    private readonly CancellationTokenSource _stop = new();
    private int _generation;

    public FreezingTcpRelay(int targetPort)
    {
        _target = targetPort;
        _listener.Start();
        _ = Task.Run(AcceptAsync);
    }

    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

    /// <summary>Every connection open now goes dead.</summary>
    public void Freeze() => Interlocked.Increment(ref _generation);

    private async Task AcceptAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            TcpClient client;
            try { client = await _listener.AcceptTcpClientAsync(_stop.Token); }
            catch (Exception) { return; }
            var upstream = new TcpClient();
            try { await upstream.ConnectAsync(IPAddress.Loopback, _target, _stop.Token); }
            catch (Exception) { client.Dispose(); upstream.Dispose(); continue; }
            int generation = Volatile.Read(ref _generation);
            _ = PumpAsync(client, upstream, generation);
            _ = PumpAsync(upstream, client, generation);
        }
    }

    private async Task PumpAsync(TcpClient from, TcpClient to, int generation)
    {
        var buffer = new byte[16384];
        try
        {
            while (true)
            {
                int n = await from.GetStream().ReadAsync(buffer, _stop.Token);
                bool dead = Volatile.Read(ref _generation) != generation;
                if (n == 0)
                {
                    if (!dead) to.Client.Shutdown(SocketShutdown.Send);
                    return;
                }
                if (!dead) await to.GetStream().WriteAsync(buffer.AsMemory(0, n), _stop.Token);
            }
        }
        catch (Exception) when (Volatile.Read(ref _generation) != generation)
        {
            // A dead link says nothing, not even that it broke.
        }
        catch (Exception)
        {
            from.Dispose();
            to.Dispose();
        }
    }

    public void Dispose()
    {
        _stop.Cancel();
        _listener.Stop();
        _stop.Dispose();
    }
}
