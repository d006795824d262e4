using Gateway.Coap.Codec;
using Gateway.Coap.Transport;
using Gateway.TestKit;

namespace Gateway.Coap.Tests.Endpoint;

public class DeduplicationCapacityTests
{
    [Theory]
    [InlineData(100_000_000, 256, "DeduplicationCapacity: 100000000 must be 16..4194304")]
    [InlineData(4_194_304, 512, "DeduplicationCapacity × DeduplicationInlineBytes: 4194304 × 512 bytes of cached responses is more than 1 GiB")]
    public void Validate_DeduplicationTableTooLarge_IsAConfigurationProblemNotAnOverflow(int capacity, int inlineBytes, string expected)
    {
        // Before the bound, 100,000,000 entries overflowed the slab's size when the endpoint was built: a stack trace at start.
        var options = new CoapEndpointOptions { DeduplicationCapacity = capacity, DeduplicationInlineBytes = inlineBytes };

        Assert.Equal(expected, Assert.Single(options.Validate()));
    }

    [Fact]
    public void FullTable_EvictsOldestFirst_AndWarnsOncePerMinuteWithTheCount()
    {
        var time = new ManualTimeProvider();
        var logger = new ListLogger();
        var handler = new ScriptedHandler();
        using var transport = new InMemoryDatagramTransport(EndpointHarness.ServerAddress);
        using var endpoint = new CoapEndpoint(transport, handler, new CoapEndpointOptions { DeduplicationCapacity = 16 }, time, logger);
        void Send(ushort mid) => endpoint.Inject(CoapCodec.Encode(EndpointHarness.Get(mid, "a")), EndpointHarness.Device);

        for (ushort mid = 0; mid < 40; mid++) Send(mid);
        Assert.Equal(24, endpoint.DeduplicationEvictions);
        Assert.Equal(16, endpoint.DeduplicationEntries);
        var warnings = logger.Entries.Where(e => e.EventId == 105).Select(e => e.Message).ToList();
        Assert.Equal(["1 entries evicted"], warnings.Select(Count));   // the first eviction warns at once

        time.Advance(TimeSpan.FromSeconds(61));
        for (ushort mid = 100; mid < 110; mid++) Send(mid);
        warnings = [.. logger.Entries.Where(e => e.EventId == 105).Select(e => e.Message)];
        Assert.Equal(["1 entries evicted", "24 entries evicted"], warnings.Select(Count)); // 23 silent ones + this one

        // Oldest first: MID 39 is still remembered (duplicate, handler not run), MID 0 is not.
        int calls = handler.Calls;
        Send(39);
        Assert.Equal(calls, handler.Calls);
        Send(0);
        Assert.Equal(calls + 1, handler.Calls);
    }

    private static string Count(string message) => message[(message.IndexOf("): ", StringComparison.Ordinal) + 3)..message.IndexOf(" before", StringComparison.Ordinal)];
}
