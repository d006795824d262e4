using System.Diagnostics;
using Gateway.Interop.Tests.Support;
using Gateway.Storage;
using Microsoft.Data.Sqlite;

namespace Gateway.Interop.Tests.EndToEnd;

/// <summary>
/// Issue 17: a device finds the gateway by asking All-CoAP-Nodes (RFC 7252 §12.8) on its link. libcoap on one end of a
/// veth pair asks <c>coap://[ff02::fd%veth1]/.well-known/core</c>; the gateway on the other end answers after its
/// leisure (§8.2.1) from its unicast address fe80::1 (§8.2), and libcoap fetches the rest of the listing by unicast
/// (RFC 7959 §2.8). A filter matching nothing and a POST to the group get no answer at all (§8.2; RFC 6690 §4.1), and the
/// POST stores nothing. Needs root for <c>ip netns</c>.
/// </summary>
public sealed class MulticastDiscoveryTests : IAsyncLifetime
{
    private const string Group = "coap://[ff02::fd%veth1]";
    private VethNamespaces _link = null!;

    public async Task InitializeAsync() => _link = await VethNamespaces.CreateAsync("m17");

    public async Task DisposeAsync() => await _link.DisposeAsync();

    // -N: a group request is NON (§8.1); -B 3: libcoap waits that long for answers from the group. With -v 7 libcoap logs
    // every datagram it receives (on stdout, between the payload's pieces), so "received" shows whether anyone answered.
    private Task<ProcessResult> AskGroup(params string[] arguments) => _link.Client(["-N", "-B", "3", .. arguments]);

    private Task<ProcessResult> AskGroupVerbose(params string[] arguments) => AskGroup(["-v", "7", .. arguments]);

    private static IEnumerable<string> Lines(ProcessResult result) => result.StandardOutput.Split('\n').Select(l => l.Trim());

    private static long StoredRows(string dataDir, string marker)
    {
        using var database = SqliteDatabase.Open(new StorageOptions { DataDir = dataDir });
        using var connection = database.OpenConnection();
        using var count = connection.CreateCommand();
        count.CommandText = "SELECT COUNT(*) FROM outbox WHERE CAST(payload AS TEXT) LIKE $p";
        count.Parameters.AddWithValue("$p", $"%{marker}%");
        long rows = (long)count.ExecuteScalar()!;
        SqliteConnection.ClearAllPools();
        return rows;
    }

    [Fact]
    public async Task ADeviceDiscoversTheGateway_ByAllCoapNodes_AndNothingElseIsAnsweredThere()
    {
        string dataDir = Path.Combine(_link.Dir, "data");
        string token = await VethNamespaces.Cli(dataDir, "devices", "add", "Mesh Node");
        _link.StartGateway(dataDir, "--Coap:DefaultLeisureSeconds=0.5");

        // Until the gateway listens, the group has no member that answers; ask again (bounded) until it does.
        ProcessResult discovery = null!;
        var ready = Stopwatch.StartNew();
        while (ready.Elapsed < TimeSpan.FromSeconds(60) && !_link.GatewayExited)
        {
            discovery = await AskGroup("-m", "get", $"{Group}/.well-known/core");
            if (discovery.StandardOutput.Contains("</ts>", StringComparison.Ordinal)) break;
            await Task.Delay(250);
        }
        string listing = Lines(discovery).FirstOrDefault(l => l.StartsWith("</", StringComparison.Ordinal)) ?? "";
        // The whole listing: its first block came by multicast, the rest by unicast from the address that answered.
        Assert.True(listing.Contains("</fw>;rt=\"tb.fw\";ct=42", StringComparison.Ordinal) && listing.EndsWith("</ts>;rt=\"exosite.ts\";ct=42", StringComparison.Ordinal),
            discovery.Describe() + "\n" + _link.GatewayOutput);
        var traced = await AskGroupVerbose("-m", "get", $"{Group}/.well-known/core");
        Assert.Contains("<-> [fe80::1]:5683 UDP : received", traced.AllOutput, StringComparison.Ordinal); // §8.2: from the unicast address
        Assert.Contains("t:NON c:2.05", traced.AllOutput, StringComparison.Ordinal);
        Assert.DoesNotContain(token, listing, StringComparison.Ordinal);

        var filtered = await AskGroup("-m", "get", $"{Group}/.well-known/core?rt=tb.fw");
        Assert.Contains("</fw>;rt=\"tb.fw\";ct=42", Lines(filtered));

        // RFC 6690 §4.1 / RFC 7252 §8.2: a filter that matches nothing gets no answer, not an empty listing or 4.04.
        var nothing = await AskGroupVerbose("-m", "get", $"{Group}/.well-known/core?rt=no.such.type");
        Assert.DoesNotContain("received", nothing.AllOutput, StringComparison.Ordinal);

        // A write to the group: no answer, nothing stored. The same write by unicast is stored (the check can fail).
        var post = await AskGroupVerbose("-m", "post", "-e", "{\"mcast\":\"group-write\"}", $"{Group}/api/v1/{token}/telemetry");
        Assert.DoesNotContain("received", post.AllOutput, StringComparison.Ordinal);
        var unicast = await _link.Client("-m", "post", "-e", "{\"mcast\":\"unicast-write\"}", $"coap://[fe80::1%veth1]/api/v1/{token}/telemetry");
        Assert.True(unicast.ExitCode == 0, unicast.Describe());
        Assert.Equal(1, StoredRows(dataDir, "unicast-write"));
        Assert.Equal(0, StoredRows(dataDir, "group-write"));

        // A GET of an ordinary resource by multicast is not answered either (only discovery is, RFC 7252 §8.2).
        var attributes = await AskGroupVerbose("-m", "get", $"{Group}/api/v1/{token}/attributes");
        Assert.DoesNotContain("received", attributes.AllOutput, StringComparison.Ordinal);
        Assert.DoesNotContain("fail:", _link.GatewayOutput, StringComparison.Ordinal);
    }
}
