using Gateway.Mqtt.Client;
using Gateway.Mqtt.Transport;
using Gateway.TestKit;

namespace Gateway.Mqtt.Tests.Client;

/// <summary>An <see cref="MqttClient"/> on an in-memory transport with a manual clock and a fixed jitter seed.</summary>
internal sealed class ClientHarness : IAsyncDisposable
{
    public InMemoryMqttTransport Transport { get; } = new();
    public ManualTimeProvider Time { get; } = new();
    public MqttClient Client { get; }
    public List<MqttConnectionStateChangedEventArgs> Events { get; } = [];

    public ClientHarness(Action<MqttClientOptions>? configure = null)
    {
        var options = new MqttClientOptions { Host = "broker.test", ClientId = "gw-test", KeepAliveSeconds = 10 };
        configure?.Invoke(options);
        Client = new MqttClient(options, timeProvider: Time, transport: Transport, random: new Random(7));
        Client.ConnectionStateChanged += (_, e) => { lock (Events) Events.Add(e); };
    }

    /// <summary>Starts the client and plays an accepting broker.</summary>
    public async Task<BrokerSession> StartAndConnectAsync(Gateway.Mqtt.Packets.ConnAckPacket? connAck = null)
    {
        Client.Start();
        var broker = await BrokerSession.AcceptAsync(Transport);
        await broker.AcceptConnectAsync(connAck);
        await Client.WaitUntilConnectedAsync().WaitAsync(BrokerSession.Timeout);
        return broker;
    }

    /// <summary>
    /// Moves the manual clock in small steps until the client opens a new connection: the backoff
    /// timer only exists once the supervisor reached its delay, so time must move after that.
    /// </summary>
    public async Task<BrokerSession> AdvanceUntilReconnectAsync()
    {
        // First let the client notice the loss by itself (without time moving, so not via keep-alive).
        await WaitForAsync(() => Client.State != MqttConnectionState.Connected, "the client to notice the disconnect");
        int before = Transport.ConnectAttempts;
        var deadline = DateTime.UtcNow + BrokerSession.Timeout;
        while (Transport.ConnectAttempts == before)
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException("the client did not reconnect");
            if (Time.ActiveTimers > 0) Time.Advance(TimeSpan.FromMilliseconds(250));
            await Task.Delay(1);
        }
        return await BrokerSession.AcceptAsync(Transport);
    }

    public async Task WaitForAsync(Func<bool> condition, string what)
    {
        var deadline = DateTime.UtcNow + BrokerSession.Timeout;
        while (!condition())
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException("timed out waiting for " + what);
            await Task.Delay(2);
        }
    }

    public async ValueTask DisposeAsync()
    {
        // Stop must not hang on a broker that is not reading.
        await Client.DisposeAsync().AsTask().WaitAsync(BrokerSession.Timeout);
    }
}
