using System.Net;
using System.Net.Sockets;
using Gateway.Coap.Transport;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Gateway.Coap.Multicast;

/// <summary>
/// The All-CoAP-Nodes sockets (RFC 7252 §12.8) beside the unicast socket, on its port: one per interface for ff02::fd
/// (a link-local group is bound with its interface as scope), one for ff05::fd and one for 224.0.1.187, each joined on
/// the chosen interfaces. A socket bound to a group address only ever receives that group's datagrams, so "was this
/// multicast?" is known by the socket it came on, and the unicast receive loop stays as it is. An answer is sent from
/// the group socket: the kernel gives it a unicast source address of the outgoing interface (a group address is never
/// a source), as §8.2 requires. Group traffic is rare, so these loops are plain async receives.
/// </summary>
public sealed class MulticastListener : IDisposable
{
    private readonly MulticastResponder _responder;
    private readonly ILogger _logger;
    private readonly List<Socket> _sockets = [];
    private readonly List<Task> _loops = [];
    private readonly CancellationTokenSource _stopping = new();

    private MulticastListener(MulticastResponder responder, ILogger logger)
    {
        _responder = responder;
        _logger = logger;
    }

    /// <summary>
    /// Binds and joins what it can on <paramref name="interfaces"/> next to <paramref name="unicast"/>, then closes the
    /// unicast port to further sharing. A group that cannot be joined is logged and skipped: discovery is optional.
    /// </summary>
    public static MulticastListener Start(UdpDatagramTransport unicast, IEnumerable<MulticastInterface> interfaces, MulticastResponder responder, ILogger? logger = null)
    {
        var listener = new MulticastListener(responder, logger ?? NullLogger.Instance);
        try
        {
            if (!unicast.ExcludesGroupTraffic)
            {
                Log.MulticastJoinFailed(listener._logger, "all groups", "all interfaces", "the unicast socket cannot exclude group traffic (needs Linux 4.20+)");
                return listener;
            }
            int port = ((IPEndPoint)unicast.LocalEndPoint).Port;
            var chosen = interfaces.ToList();
            foreach (var nic in chosen.Where(n => n.IPv6))
                listener.Open(new IPAddress(MulticastPolicy.LinkLocalGroup.GetAddressBytes(), nic.Index), port, [nic]);
            listener.Open(MulticastPolicy.SiteLocalGroup, port, [.. chosen.Where(n => n.IPv6)]);
            listener.Open(MulticastPolicy.IPv4Group, port, [.. chosen.Where(n => n.IPv4)]);
            foreach (var socket in listener._sockets) listener._loops.Add(listener.ReceiveLoopAsync(socket));
        }
        finally
        {
            unicast.CloseToSharing();
        }
        return listener;
    }

    private void Open(IPAddress group, int port, IReadOnlyList<MulticastInterface> on)
    {
        if (on.Count == 0) return;
        var socket = new Socket(group.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
        var names = new List<string>();
        // The link-local group carries its interface as scope (to bind); the log names the group bare.
        string bare = group.AddressFamily == AddressFamily.InterNetworkV6 ? new IPAddress(group.GetAddressBytes()).ToString() : group.ToString();
        try
        {
            SocketSharing.AllowPortSharing(socket, true);
            socket.Bind(new IPEndPoint(group, port));
            foreach (var nic in on)
            {
                try
                {
                    if (group.AddressFamily == AddressFamily.InterNetworkV6)
                        socket.SetSocketOption(SocketOptionLevel.IPv6, SocketOptionName.AddMembership, new IPv6MulticastOption(group, nic.Index));
                    else socket.SetSocketOption(SocketOptionLevel.IP, SocketOptionName.AddMembership, new MulticastOption(group, nic.Index));
                    names.Add(nic.Name);
                    Log.MulticastJoined(_logger, bare, nic.Name, port);
                }
                catch (SocketException e)
                {
                    Log.MulticastJoinFailed(_logger, bare, nic.Name, e.Message);
                }
            }
        }
        catch (SocketException e)
        {
            Log.MulticastJoinFailed(_logger, bare, string.Join(',', on.Select(n => n.Name)), e.Message);
        }
        if (names.Count == 0)
        {
            socket.Dispose();
            return;
        }
        _sockets.Add(socket);
    }

    private async Task ReceiveLoopAsync(Socket socket)
    {
        await Task.Yield();
        var buffer = new byte[1280 + 128];
        EndPoint any = socket.AddressFamily == AddressFamily.InterNetworkV6 ? new IPEndPoint(IPAddress.IPv6Any, 0) : new IPEndPoint(IPAddress.Any, 0);
        MulticastResponder.Reply reply = (datagram, to) =>
        {
            try { socket.SendTo(datagram, to); }
            catch (SocketException) { } // an unreachable asker: UDP is lossy anyway
            catch (ObjectDisposedException) { }
        };
        while (!_stopping.IsCancellationRequested)
        {
            SocketReceiveFromResult received;
            try
            {
                received = await socket.ReceiveFromAsync(buffer, SocketFlags.None, any, _stopping.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) { return; }
            catch (ObjectDisposedException) { return; }
            catch (SocketException) { continue; } // ICMP errors of earlier answers
            try
            {
                await _responder.ReceiveAsync(buffer.AsMemory(0, received.ReceivedBytes), (IPEndPoint)received.RemoteEndPoint, reply, _stopping.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) { return; }
            catch (Exception e)
            {
                Log.ProcessingFailed(_logger, e, received.RemoteEndPoint.ToString() ?? "?");
            }
        }
    }

    public void Dispose()
    {
        _stopping.Cancel();
        _responder.Stop();
        foreach (var socket in _sockets) socket.Dispose();
        try { Task.WaitAll([.. _loops], TimeSpan.FromSeconds(5)); } catch (AggregateException) { }
        _stopping.Dispose();
    }
}
