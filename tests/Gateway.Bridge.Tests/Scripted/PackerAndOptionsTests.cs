using System.Text;
using Gateway.Bridge.Forwarding;
using Gateway.Storage.Outbox;

namespace Gateway.Bridge.Tests.Scripted;

/// <summary>Packing rules without a broker, and the one-line option errors.</summary>
public sealed class PackerAndOptionsTests
{
    private static long _id;

    private static OutboxEntry Row(string device, OutboxMessageKind kind, string json, int attempts = 1) =>
        new(Interlocked.Increment(ref _id), new OutboxMessage(device, kind, Encoding.UTF8.GetBytes(json)), attempts);

    private static string Describe(OutgoingMessage m) => m.Topic + " " + Encoding.UTF8.GetString(m.Payload);

    [Fact]
    public void A_device_switching_kinds_cuts_the_batch_so_its_rows_keep_their_order()
    {
        var packed = new MessagePacker(65536, 3).Pack(
        [
            Row("a", OutboxMessageKind.Telemetry, "[{\"ts\":1,\"values\":{\"x\":1}}]"),
            Row("b", OutboxMessageKind.Telemetry, "[{\"ts\":1,\"values\":{\"x\":1}}]"),
            Row("a", OutboxMessageKind.ClientAttributes, "{\"mode\":\"on\"}"),
            Row("a", OutboxMessageKind.Telemetry, "[{\"ts\":2,\"values\":{\"x\":2}}]"),
            Row("b", OutboxMessageKind.Telemetry, " [ {\"ts\":2,\"values\":{\"x\":2}} ] "),
            Row("c", OutboxMessageKind.RpcReply, "{\"id\":5,\"data\":{\"ok\":1}}"),
        ]);
        Assert.Empty(packed.Rejected);
        Assert.Equal(
        [
            "v1/gateway/telemetry {\"a\":[{\"ts\":1,\"values\":{\"x\":1}}],\"b\":[{\"ts\":1,\"values\":{\"x\":1}}]}",
            "v1/gateway/attributes {\"a\":{\"mode\":\"on\"}}",
            "v1/gateway/rpc {\"device\":\"c\",\"id\":5,\"data\":{\"ok\":1}}",
            "v1/gateway/telemetry {\"a\":[{\"ts\":2,\"values\":{\"x\":2}}],\"b\":[{\"ts\":2,\"values\":{\"x\":2}}]}",
        ], packed.Messages.Select(Describe));
    }

    [Fact]
    public void Telemetry_rows_of_a_device_merge_into_one_array_and_attribute_rows_never_repeat_a_device_in_a_message()
    {
        var packed = new MessagePacker(65536, 3).Pack(
        [
            Row("a", OutboxMessageKind.Telemetry, "[{\"ts\":1,\"values\":{\"x\":1}},{\"ts\":2,\"values\":{\"x\":2}}]"),
            Row("a", OutboxMessageKind.Telemetry, "[{\"ts\":3,\"values\":{\"x\":3}}]"),
            Row("q \"x\"", OutboxMessageKind.Telemetry, "[{\"ts\":1,\"values\":{\"y\":true}}]"),
        ]);
        Assert.Equal("v1/gateway/telemetry {\"a\":[{\"ts\":1,\"values\":{\"x\":1}},{\"ts\":2,\"values\":{\"x\":2}},{\"ts\":3,\"values\":{\"x\":3}}],\"q \\\"x\\\"\":[{\"ts\":1,\"values\":{\"y\":true}}]}",
            Describe(Assert.Single(packed.Messages)));

        var attributes = new MessagePacker(65536, 3).Pack(
        [
            Row("a", OutboxMessageKind.ClientAttributes, "{\"k\":1}"),
            Row("a", OutboxMessageKind.ClientAttributes, "{\"j\":2}"),
            Row("b", OutboxMessageKind.ClientAttributes, "{\"k\":3}"),
        ]);
        Assert.Equal(["v1/gateway/attributes {\"a\":{\"k\":1},\"b\":{\"k\":3}}", "v1/gateway/attributes {\"a\":{\"j\":2}}"], attributes.Messages.Select(Describe));
    }

    [Fact]
    public void Suspect_rows_go_alone_and_oversized_rows_are_rejected()
    {
        var big = "[{\"ts\":1,\"values\":{\"blob\":\"" + new string('x', 3000) + "\"}}]";
        var packed = new MessagePacker(2048, 3).Pack(
        [
            Row("a", OutboxMessageKind.Telemetry, "[{\"ts\":1,\"values\":{\"x\":1}}]", attempts: 3),
            Row("b", OutboxMessageKind.Telemetry, "[{\"ts\":1,\"values\":{\"x\":1}}]"),
            Row("c", OutboxMessageKind.Telemetry, big),
        ]);
        Assert.Equal(2, packed.Messages.Count);
        Assert.All(packed.Messages, m => Assert.Single(m.Devices));
        Assert.Equal("c", Assert.Single(packed.Rejected).Row.Message.Device);
    }

    [Fact]
    public void Bad_options_give_one_line_per_key()
    {
        var errors = new BridgeOptions { BatchSize = 0, MaxInFlight = 0, DrainRowsPerSecond = -1, RetryMaxSeconds = 0.5, RetryMinSeconds = 1 }.Validate();
        Assert.Equal(
        [
            "Bridge:BatchSize: 0 is not 1..100000",
            "Bridge:MaxInFlight: 0 is not 1..65535",
            "Bridge:DrainRowsPerSecond: -1 is negative (0 = unpaced)",
            "Bridge:RetryMaxSeconds: 0.5 is below RetryMinSeconds (1)",
        ], errors);
        Assert.Empty(new BridgeOptions().Validate());
    }
}
