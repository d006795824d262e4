using Gateway.TestKit;
using Gateway.Mqtt.Client;

namespace Gateway.Mqtt.Tests.Interop;

/// <summary>TLS against mosquitto with a throw-away CA made by openssl in the test.</summary>
public sealed class MosquittoTlsTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    private static async Task<string> MakePkiAsync(string dir)
    {
        async Task Ssl(params string[] args) => await MosquittoBroker.RunToolAsync("openssl", args);
        string P(string name) => Path.Combine(dir, name);
        await Ssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", P("ca.key"), "-out", P("ca.pem"), "-days", "1", "-subj", "/CN=gateway-test-ca");
        await Ssl("req", "-newkey", "rsa:2048", "-nodes", "-keyout", P("server.key"), "-out", P("server.csr"), "-subj", "/CN=localhost");
        File.WriteAllText(P("ext.cnf"), "subjectAltName=DNS:localhost,IP:127.0.0.1\n");
        await Ssl("x509", "-req", "-in", P("server.csr"), "-CA", P("ca.pem"), "-CAkey", P("ca.key"), "-CAcreateserial", "-out", P("server.pem"), "-days", "1", "-extfile", P("ext.cnf"));
        // A second, unrelated CA for the negative case.
        await Ssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", P("other.key"), "-out", P("other.pem"), "-days", "1", "-subj", "/CN=other-ca");
        return $"cafile {P("ca.pem")}\ncertfile {P("server.pem")}\nkeyfile {P("server.key")}\nallow_anonymous true\n";
    }

    /// <summary>The TLS handshake fails: the client never connects and reports a transport error.</summary>
    private static async Task AssertRefusedAsync(int port, MqttTlsOptions tls)
    {
        var errors = new List<MqttConnectionException>();
        await using var client = new MqttClient(new MqttClientOptions { Host = "127.0.0.1", Port = port, ClientId = "tls-bad", Tls = tls, ReconnectMinSeconds = 0.1, ReconnectMaxSeconds = 0.2 });
        client.ConnectionStateChanged += (_, e) => { if (e.Error is { } error) lock (errors) errors.Add(error); };
        client.Start();
        var deadline = DateTime.UtcNow + Timeout;
        while (client.GetCounters().ConnectFailures < 2)
        {
            Assert.True(DateTime.UtcNow < deadline, "no failed attempt");
            await Task.Delay(10);
        }
        Assert.Equal(0, client.GetCounters().Connects);
        lock (errors) Assert.Equal(MqttDisconnectReason.TransportError, errors[0].Reason);
    }

    [Fact]
    public async Task Tls_with_a_private_ca_connects_and_a_foreign_ca_or_wrong_name_is_rejected()
    {
        MosquittoBroker.RequireInstalled();
        string dir = Directory.CreateTempSubdirectory("mqtt-tls-").FullName;
        try
        {
            using var broker = new MosquittoBroker(await MakePkiAsync(dir));
            var good = new MqttTlsOptions { Enabled = true, CaFile = Path.Combine(dir, "ca.pem"), ServerName = "localhost" };
            await using (var client = new MqttClient(new MqttClientOptions { Host = "127.0.0.1", Port = broker.Port, ClientId = "tls", Tls = good }))
            {
                client.Start();
                await client.WaitUntilConnectedAsync().WaitAsync(Timeout);
                var result = await client.PublishAsync(new MqttMessage { Topic = "tls/t", Payload = "x"u8.ToArray() }).AsTask().WaitAsync(Timeout);
                Assert.True(result.IsSuccess);
            }

            await AssertRefusedAsync(broker.Port, new MqttTlsOptions { Enabled = true, CaFile = Path.Combine(dir, "other.pem"), ServerName = "localhost" });
            await AssertRefusedAsync(broker.Port, new MqttTlsOptions { Enabled = true, CaFile = Path.Combine(dir, "ca.pem"), ServerName = "not-the-broker" });
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
