using System.Buffers;
using Gateway.Bridge.Limits;
using Gateway.Storage.Outbox;

namespace Gateway.Bridge.Forwarding;

/// <summary>
/// One PUBLISH the forwarder will send: a topic and its pieces. Batched kinds (telemetry, client
/// attributes, claim) are <c>{"Dev A":value,"Dev B":value}</c> with each device at most once;
/// one-row kinds (connect, disconnect, RPC reply, attribute request) carry one piece whose value is
/// the whole payload (thingsboard.md §4.2).
/// </summary>
internal sealed class OutgoingMessage
{
    private byte[]? _payload;
    private IReadOnlyList<UplinkEntry>? _entries;

    public OutgoingMessage(OutboxMessageKind kind, IReadOnlyList<Piece> pieces)
    {
        Kind = kind;
        Pieces = pieces;
        Topic = PayloadBuilder.TopicOf(kind);
        Devices = pieces.Select(p => p.Device).ToHashSet(StringComparer.Ordinal);
        RowCount = pieces.Sum(p => p.Rows.Count);
    }

    public OutboxMessageKind Kind { get; }
    public string Topic { get; }
    public IReadOnlyList<Piece> Pieces { get; }
    public IReadOnlySet<string> Devices { get; }
    public int RowCount { get; }

    public IEnumerable<OutboxEntry> Rows => Pieces.SelectMany(p => p.Rows);

    public IEnumerable<long> RowIds => Rows.Select(r => r.Id);

    /// <summary>The message as ThingsBoard's rate limiter counts it: one entry per device, telemetry with its data points.</summary>
    public IReadOnlyList<UplinkEntry> Entries => _entries ??= Pieces.Select(EntryOf).ToList();

    private UplinkEntry EntryOf(Piece piece)
    {
        bool telemetry = Kind is OutboxMessageKind.Telemetry or OutboxMessageKind.GatewayTelemetry;
        int dataPoints = telemetry ? piece.Rows.Sum(r => DataPoints.Count(r.Message.Payload.Span)) : 0;
        return new UplinkEntry(PayloadBuilder.IsOwn(Kind) ? "" : piece.Device, telemetry, dataPoints);
    }

    public byte[] Payload => _payload ??= Build();

    private byte[] Build()
    {
        if (!PayloadBuilder.IsBatched(Kind)) return Pieces[0].Value.ToArray();
        var buffer = new ArrayBufferWriter<byte>(PayloadBuilder.MessageOverhead + Pieces.Sum(p => p.EntrySize));
        PayloadBuilder.Write(buffer, "{"u8);
        for (int i = 0; i < Pieces.Count; i++)
        {
            if (i > 0) PayloadBuilder.Write(buffer, ","u8);
            PayloadBuilder.Write(buffer, Pieces[i].Name);
            PayloadBuilder.Write(buffer, ":"u8);
            PayloadBuilder.Write(buffer, Pieces[i].Value.Span);
        }
        PayloadBuilder.Write(buffer, "}"u8);
        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>
    /// Halves for bisecting a message the broker called malformed: by pieces when there are several
    /// devices, else by rows of the one piece. Null for a single row (that row is the bad one).
    /// </summary>
    public (OutgoingMessage First, OutgoingMessage Second)? Split()
    {
        if (Pieces.Count > 1)
        {
            int half = Pieces.Count / 2;
            return (new OutgoingMessage(Kind, Pieces.Take(half).ToList()), new OutgoingMessage(Kind, Pieces.Skip(half).ToList()));
        }
        var rows = Pieces[0].Rows;
        if (rows.Count < 2) return null;
        int middle = rows.Count / 2;
        var name = Pieces[0].Name;
        return (new OutgoingMessage(Kind, [PayloadBuilder.PieceOf(Kind, rows.Take(middle).ToList(), name)]),
                new OutgoingMessage(Kind, [PayloadBuilder.PieceOf(Kind, rows.Skip(middle).ToList(), name)]));
    }

    public override string ToString() => $"{Topic} ({Pieces.Count} devices, {RowCount} rows)";
}
