using Gateway.Coap.Messages;
using Gateway.Coap.Multicast;

namespace Gateway.Coap.Tests.Multicast;

public class MulticastPolicyTests
{
    private static CoapMessage Message(CoapMessageType type, CoapCode code, string path, uint? block2 = null)
    {
        var options = path.Split('/', StringSplitOptions.RemoveEmptyEntries).Select(s => CoapOption.FromString(CoapOptionNumber.UriPath, s)).ToList();
        if (block2 is { } b) options.Add(CoapOption.FromUInt(CoapOptionNumber.Block2, b));
        return new CoapMessage(type, code, 1, new byte[] { 1 }, options);
    }

    public static TheoryData<CoapMessageType, byte, string, MulticastDecision> Cases => new()
    {
        { CoapMessageType.NonConfirmable, CoapCode.Get.Value, ".well-known/core", MulticastDecision.Answer },
        { CoapMessageType.Confirmable, CoapCode.Get.Value, ".well-known/core", MulticastDecision.Confirmable },
        { CoapMessageType.NonConfirmable, CoapCode.Post.Value, ".well-known/core", MulticastDecision.Write },
        { CoapMessageType.NonConfirmable, CoapCode.Post.Value, "api/v1/token/telemetry", MulticastDecision.Write },
        { CoapMessageType.NonConfirmable, CoapCode.Put.Value, "api/v1/token/attributes", MulticastDecision.Write },
        { CoapMessageType.NonConfirmable, CoapCode.Delete.Value, "x", MulticastDecision.Write },
        { CoapMessageType.Confirmable, CoapCode.Post.Value, "api/v1/token/telemetry", MulticastDecision.Confirmable },
        { CoapMessageType.NonConfirmable, CoapCode.Get.Value, "api/v1/token/attributes", MulticastDecision.NotDiscovery },
        { CoapMessageType.NonConfirmable, CoapCode.Get.Value, ".well-known", MulticastDecision.NotDiscovery },
        { CoapMessageType.NonConfirmable, CoapCode.Get.Value, ".well-known/core/x", MulticastDecision.NotDiscovery },
        { CoapMessageType.NonConfirmable, CoapCode.Get.Value, "", MulticastDecision.NotDiscovery },
        { CoapMessageType.NonConfirmable, CoapCode.Content.Value, ".well-known/core", MulticastDecision.NotRequest },
        { CoapMessageType.Acknowledgement, CoapCode.Get.Value, ".well-known/core", MulticastDecision.NotRequest },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void OnlyNonConfirmableDiscoveryGets_AreAnswered_ByMulticast(CoapMessageType type, byte code, string path, MulticastDecision expected) =>
        Assert.Equal(expected, MulticastPolicy.Decide(Message(type, new CoapCode(code), path), wasMulticast: true));

    [Fact]
    public void TheSameRequests_ByUnicast_AreLeftToTheEndpoint()
    {
        Assert.Equal(MulticastDecision.Answer, MulticastPolicy.Decide(Message(CoapMessageType.Confirmable, CoapCode.Post, "api/v1/t/telemetry"), wasMulticast: false));
        Assert.Equal(MulticastDecision.Answer, MulticastPolicy.Decide(Message(CoapMessageType.NonConfirmable, CoapCode.Get, "api/v1/t/attributes"), wasMulticast: false));
    }

    [Fact]
    public void AFirstBlockWithASmallerSize_IsAnswered_ALaterBlockIsNot()
    {
        Assert.Equal(MulticastDecision.Answer, MulticastPolicy.Decide(Message(CoapMessageType.NonConfirmable, CoapCode.Get, ".well-known/core", new BlockOption(0, false, 0).Encode()), true));
        Assert.Equal(MulticastDecision.LaterBlock, MulticastPolicy.Decide(Message(CoapMessageType.NonConfirmable, CoapCode.Get, ".well-known/core", new BlockOption(1, false, 1).Encode()), true));
    }

    [Theory]
    [InlineData(2, 5, 10, true)]
    [InlineData(2, 5, 0, false)]  // RFC 6690 §4.1: a filter matching nothing is not answered with an empty listing
    [InlineData(4, 4, 0, false)]  // RFC 7252 §8.2: no error answers to a group
    [InlineData(4, 6, 20, false)]
    [InlineData(5, 0, 9, false)]
    public void OnlyContentWithAPayload_IsWorthSending(int cls, int detail, int payload, bool expected) =>
        Assert.Equal(expected, MulticastPolicy.HasSomethingToSay(CoapCode.From((byte)cls, (byte)detail), payload));

    [Theory]
    [InlineData(0.0, 0)]
    [InlineData(0.5, 2500)]
    [InlineData(0.999, 4995)]
    public void TheLeisureDelay_IsUniformBelowLeisure(double draw, int expectedMs)
    {
        Assert.Equal(TimeSpan.FromMilliseconds(expectedMs), MulticastPolicy.LeisureDelay(TimeSpan.FromSeconds(5), draw));
        Assert.Equal(TimeSpan.Zero, MulticastPolicy.LeisureDelay(TimeSpan.Zero, draw));
    }
}
