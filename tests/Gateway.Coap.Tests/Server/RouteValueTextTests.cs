using Gateway.Coap.Server;

namespace Gateway.Coap.Tests.Server;

/// <summary>The per-thread strings of route segments: the same string for a segment seen again, never a wrong one.</summary>
public sealed class RouteValueTextTests
{
    [Fact]
    public void ASegmentSeenAgain_GetsTheSameString()
    {
        var first = RouteValueText.Of("A1_TEST_TOKEN".AsSpan());
        var again = RouteValueText.Of("A1_TEST_TOKEN".ToCharArray());
        Assert.Equal("A1_TEST_TOKEN", first);
        Assert.Same(first, again);
    }

    [Fact]
    public void ManySegments_EachGetTheirOwnText_AlsoWhenTheyShareASlot()
    {
        // 1,000 segments in 64 slots: collisions take the slot over, and every answer is still the segment's own text.
        var segments = Enumerable.Range(0, 1_000).Select(i => $"device-{i:D4}").ToArray();
        for (int round = 0; round < 3; round++)
        {
            foreach (var segment in segments) Assert.Equal(segment, RouteValueText.Of(segment.ToCharArray()));
        }
        Assert.Equal("", RouteValueText.Of([]));
        Assert.Equal("device-0", RouteValueText.Of("device-0".AsSpan())); // a prefix of others is not confused with them
    }

    [Fact]
    public async Task EachThread_HasItsOwnStrings()
    {
        var here = RouteValueText.Of("shared-token".AsSpan());
        var there = await Task.Factory.StartNew(() => RouteValueText.Of("shared-token".AsSpan()), TaskCreationOptions.LongRunning);
        Assert.Equal(here, there);
        Assert.NotSame(here, there);
    }
}
