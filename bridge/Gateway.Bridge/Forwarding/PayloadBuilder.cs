using System.Buffers;
using System.Text.Encodings.Web;
using System.Text.Json;
using Gateway.Storage.Outbox;

namespace Gateway.Bridge.Forwarding;

/// <summary>
/// Byte-level assembly of gateway-API payloads from validated rows (thingsboard.md §4.2): row JSON is
/// copied, never re-parsed or re-serialised, so values (number formats, key order) reach the cloud
/// exactly as stored. Only device names are encoded here.
/// </summary>
internal static class PayloadBuilder
{
    /// <summary><c>{</c> and <c>}</c> around the entries.</summary>
    public const int MessageOverhead = 2;

    // Relaxed: UTF-8 names stay UTF-8 (quotes, backslashes and control characters are still escaped).
    private static readonly JavaScriptEncoder NameEncoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping;

    public static string TopicOf(OutboxMessageKind kind) => kind switch
    {
        OutboxMessageKind.Telemetry => GatewayTopics.Telemetry,
        OutboxMessageKind.ClientAttributes => GatewayTopics.Attributes,
        OutboxMessageKind.Claim => GatewayTopics.Claim,
        OutboxMessageKind.DeviceConnect => GatewayTopics.Connect,
        OutboxMessageKind.DeviceDisconnect => GatewayTopics.Disconnect,
        OutboxMessageKind.RpcReply => GatewayTopics.Rpc,
        OutboxMessageKind.AttributeRequest => GatewayTopics.AttributeRequest,
        OutboxMessageKind.GatewayTelemetry => GatewayTopics.OwnTelemetry,
        OutboxMessageKind.GatewayAttributes => GatewayTopics.OwnAttributes,
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, null),
    };

    /// <summary>Kinds whose messages are keyed by device name and carry many devices (§4.2).</summary>
    public static bool IsBatched(OutboxMessageKind kind) =>
        kind is OutboxMessageKind.Telemetry or OutboxMessageKind.ClientAttributes or OutboxMessageKind.Claim;

    /// <summary>Kinds of the gateway device itself, on its device API topics: the row's payload is the message as it is.</summary>
    public static bool IsOwn(OutboxMessageKind kind) =>
        kind is OutboxMessageKind.GatewayTelemetry or OutboxMessageKind.GatewayAttributes;

    /// <summary>The quoted, escaped device name.</summary>
    public static byte[] EncodeName(string device)
    {
        var buffer = new ArrayBufferWriter<byte>(device.Length + 8);
        using (var writer = new Utf8JsonWriter(buffer, new JsonWriterOptions { Encoder = NameEncoder, SkipValidation = true }))
        {
            writer.WriteStringValue(device);
        }
        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>
    /// The piece for rows of one device and kind: telemetry arrays are concatenated into one array
    /// (a device may appear only once per message), other batched kinds take the single row's
    /// object, one-row kinds become <c>{"device":"name",…row's members}</c>, the gateway's own kinds
    /// are the row's payload. <paramref name="name"/> is the encoded name the cloud knows the device by.
    /// </summary>
    public static Piece PieceOf(OutboxMessageKind kind, IReadOnlyList<OutboxEntry> rows, byte[] name)
    {
        var device = rows[0].Message.Device;
        if (kind == OutboxMessageKind.Telemetry)
        {
            var buffer = new ArrayBufferWriter<byte>(rows.Sum(r => r.Message.Payload.Length) + 2);
            Write(buffer, "["u8);
            for (int i = 0; i < rows.Count; i++)
            {
                if (i > 0) Write(buffer, ","u8);
                Write(buffer, Inner(rows[i].Message.Payload.Span));
            }
            Write(buffer, "]"u8);
            return new Piece(device, name, rows, buffer.WrittenSpan.ToArray());
        }
        if (rows.Count != 1) throw new ArgumentException($"{kind} pieces carry one row", nameof(rows));
        if (IsBatched(kind) || IsOwn(kind)) return new Piece(device, name, rows, Trim(rows[0].Message.Payload.Span).ToArray());

        var inner = Inner(rows[0].Message.Payload.Span);
        var single = new ArrayBufferWriter<byte>(name.Length + inner.Length + 16);
        Write(single, "{\"device\":"u8);
        Write(single, name);
        if (!inner.IsEmpty)
        {
            Write(single, ","u8);
            Write(single, inner);
        }
        Write(single, "}"u8);
        return new Piece(device, name, rows, single.WrittenSpan.ToArray());
    }

    public static void Write(IBufferWriter<byte> buffer, ReadOnlySpan<byte> bytes)
    {
        bytes.CopyTo(buffer.GetSpan(bytes.Length));
        buffer.Advance(bytes.Length);
    }

    /// <summary>What lies between the outer brackets of a validated array or object, trimmed.</summary>
    private static ReadOnlySpan<byte> Inner(ReadOnlySpan<byte> json)
    {
        var trimmed = Trim(json);
        return Trim(trimmed[1..^1]);
    }

    private static ReadOnlySpan<byte> Trim(ReadOnlySpan<byte> json) => json.Trim(" \t\r\n"u8);
}
