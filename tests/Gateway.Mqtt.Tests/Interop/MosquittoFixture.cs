using Gateway.TestKit;
namespace Gateway.Mqtt.Tests.Interop;

/// <summary>One anonymous mosquitto shared by the interop tests that need nothing special.</summary>
public sealed class MosquittoFixture : IDisposable
{
    public MosquittoBroker Broker { get; } = new();

    public void Dispose() => Broker.Dispose();
}
