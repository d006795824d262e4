using System.Net;
using System.Net.Sockets;

namespace Gateway.TestKit;

/// <summary>
/// One client socket keeping N confirmable requests in flight: the same encoded request each time with a new Message ID
/// and token (bytes 2–5 of a request with an 8-byte token), so up to 65,536 of them are new to the server. Allocates
/// nothing per request, so a process that measures its own allocation can run it (the durable-write allocation test
/// and benchmark). Retransmits nothing: a lost datagram fails the run after the receive timeout.
/// </summary>
public sealed class CoapPostLoop(SocketAddress server, byte[] request, byte expectedCode) : IDisposable
{
    private readonly byte[] _request = (byte[])request.Clone();
    private readonly byte[] _response = new byte[1500];
    private readonly SocketAddress _sender = new(AddressFamily.InterNetwork);
    private int _next;

    public Socket Socket { get; } = Bound();

    private static Socket Bound()
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return socket;
    }

    private void Send()
    {
        _request[2] = (byte)(_next >> 8);
        _request[3] = (byte)_next;
        _request[4] = (byte)(_next >> 16);
        _request[5] = (byte)(_next >> 24);
        _next++;
        Socket.SendTo(_request, SocketFlags.None, server);
    }

    /// <summary>Until the server (starting in the background) answers with the expected code; then drains the answers still on their way.</summary>
    public async Task WaitForServerAsync(TimeSpan patience)
    {
        var deadline = DateTime.UtcNow + patience;
        Socket.ReceiveTimeout = 100;
        while (true)
        {
            Send();
            try
            {
                if (Socket.ReceiveFrom(_response, SocketFlags.None, _sender) >= 2 && _response[1] == expectedCode) break;
            }
            catch (SocketException) when (DateTime.UtcNow < deadline)
            {
                await Task.Yield();
            }
        }
        try { while (true) Socket.ReceiveFrom(_response, SocketFlags.None, _sender); }
        catch (SocketException) { }
    }

    /// <summary>Keeps <paramref name="outstanding"/> requests in flight until <paramref name="count"/> are answered; returns the answers without the expected code.</summary>
    public int Exchange(int count, int outstanding)
    {
        Socket.ReceiveTimeout = 10_000; // a server stalled for seconds fails the run rather than hanging it
        int sent = 0, unexpected = 0;
        for (; sent < Math.Min(outstanding, count); sent++) Send();
        for (int answered = 0; answered < count; answered++)
        {
            int n = Socket.ReceiveFrom(_response, SocketFlags.None, _sender);
            if (n < 2 || _response[1] != expectedCode) unexpected++;
            if (sent < count)
            {
                Send();
                sent++;
            }
        }
        return unexpected;
    }

    public void Dispose() => Socket.Dispose();
}
