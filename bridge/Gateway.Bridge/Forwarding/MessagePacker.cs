using System.Text;
using Gateway.Storage.Outbox;

namespace Gateway.Bridge.Forwarding;

/// <summary>
/// Turns a leased batch (awaited rows first, then id order; per-device FIFO within a kind) into as few PUBLISHes as fit the packet limit,
/// keeping every device's rows in order across messages.
/// <para>
/// The batch is cut into <em>segments</em>: a segment ends when a device shows up with a row of another
/// kind (telemetry, then attributes, then telemetry again), so inside a segment every device has
/// one kind and messages of different kinds never carry the same device. Inside a segment rows are
/// grouped by device: a device's telemetry rows become one merged array (split only when it alone
/// exceeds the limit), attribute and claim rows stay one per piece (a device appears at most once
/// per message: duplicate keys are not safe with ThingsBoard's JSON parser). Connect, disconnect,
/// RPC replies, attribute requests and suspect rows (leased <c>suspectAfterAttempts</c> times) go
/// one row per message. The only messages that share a device are then a device's consecutive
/// pieces; the sender never has two of those in flight at once (<see cref="BatchSender"/>).
/// </para>
/// Rows that fail <see cref="RowValidator"/> or alone exceed the limit are returned as rejected.
/// </summary>
internal sealed class MessagePacker(int maxPacketBytes, int suspectAfterAttempts, Func<string, string>? cloudName = null, int maxPayloadBytes = 0)
{
    /// <summary>Fixed header (≤ 5), topic length (2), packet id (2) and v5 properties, generously.</summary>
    private const int PacketOverhead = 32;

    private readonly Dictionary<string, byte[]> _names = new(StringComparer.Ordinal);
    private readonly Dictionary<string, int> _deviceMarker = new(StringComparer.Ordinal);
    private readonly List<OutgoingMessage> _singles = [];
    private readonly List<OutboxMessageKind> _kindOrder = [];
    private readonly Dictionary<OutboxMessageKind, Dictionary<string, List<OutboxEntry>>> _groups = [];
    private List<OutgoingMessage> _messages = [];
    private List<(OutboxEntry, string)> _invalid = [], _tooLarge = [];

    /// <summary>
    /// Payload bytes left for a PUBLISH on <paramref name="topic"/> within the packet limit, and within
    /// the session's <c>maxPayloadSize</c> when ThingsBoard announced one (thingsboard.md §4.1; 0 = none).
    /// </summary>
    public int Budget(string topic)
    {
        int packet = maxPacketBytes - PacketOverhead - Encoding.UTF8.GetByteCount(topic);
        return maxPayloadBytes > 0 ? Math.Min(packet, maxPayloadBytes) : packet;
    }

    public PackedBatch Pack(IReadOnlyList<OutboxEntry> rows)
    {
        _messages = [];
        _invalid = [];
        _tooLarge = [];
        foreach (var row in rows)
        {
            if (RowValidator.Validate(row) is { } problem)
            {
                _invalid.Add((row, problem));
                continue;
            }
            var kind = row.Message.Kind;
            bool alone = row.Attempts >= suspectAfterAttempts || !PayloadBuilder.IsBatched(kind);
            // The gateway's own rows share no topic with a sub-device's: they never cut a segment.
            if (PayloadBuilder.IsOwn(kind))
            {
                var own = PayloadBuilder.PieceOf(kind, [row], []);
                if (own.Value.Length > Budget(PayloadBuilder.TopicOf(kind))) Reject(row);
                else _singles.Add(new OutgoingMessage(kind, [own]));
                continue;
            }
            int marker = alone && PayloadBuilder.IsBatched(kind) ? -(int)kind : (int)kind;
            if (_deviceMarker.TryGetValue(row.Message.Device, out var existing) && existing != marker) CloseSegment();
            _deviceMarker[row.Message.Device] = marker;
            if (alone)
            {
                var piece = PayloadBuilder.PieceOf(kind, [row], NameOf(row.Message.Device));
                if (SizeOf(kind, piece) > Budget(PayloadBuilder.TopicOf(kind))) Reject(row);
                else _singles.Add(new OutgoingMessage(kind, [piece]));
                continue;
            }
            if (!_groups.TryGetValue(kind, out var byDevice))
            {
                _groups[kind] = byDevice = new Dictionary<string, List<OutboxEntry>>(StringComparer.Ordinal);
                _kindOrder.Add(kind);
            }
            if (!byDevice.TryGetValue(row.Message.Device, out var list)) byDevice[row.Message.Device] = list = [];
            list.Add(row);
        }
        CloseSegment();
        return new PackedBatch(_messages, _invalid, _tooLarge);
    }

    private void CloseSegment()
    {
        _messages.AddRange(_singles);
        foreach (var kind in _kindOrder)
        {
            var budget = Budget(PayloadBuilder.TopicOf(kind));
            var pieces = kind == OutboxMessageKind.Telemetry ? TelemetryPieces(_groups[kind], budget) : RowPieces(kind, _groups[kind], budget);
            PackPieces(kind, pieces, budget);
        }
        _singles.Clear();
        _kindOrder.Clear();
        _groups.Clear();
        _deviceMarker.Clear();
    }

    /// <summary>One merged array per device, cut greedily in row order where it alone would exceed the budget.</summary>
    private List<Piece> TelemetryPieces(Dictionary<string, List<OutboxEntry>> byDevice, int budget)
    {
        var pieces = new List<Piece>();
        foreach (var (device, rows) in byDevice)
        {
            // Upper bound of the piece's share of a message: {"name":[a,b]} with brackets, commas and quotes.
            var name = NameOf(device);
            int fixedSize = PayloadBuilder.MessageOverhead + name.Length + 3;
            var chunk = new List<OutboxEntry>();
            int size = fixedSize;
            foreach (var row in rows)
            {
                int rowSize = row.Message.Payload.Length + 1;
                if (fixedSize + rowSize > budget)
                {
                    Reject(row);
                    continue;
                }
                if (size + rowSize > budget)
                {
                    pieces.Add(PayloadBuilder.PieceOf(OutboxMessageKind.Telemetry, chunk, name));
                    chunk = [];
                    size = fixedSize;
                }
                chunk.Add(row);
                size += rowSize;
            }
            if (chunk.Count > 0) pieces.Add(PayloadBuilder.PieceOf(OutboxMessageKind.Telemetry, chunk, name));
        }
        return pieces;
    }

    /// <summary>One piece per row, ordered by rank (every device's first row, then every second row…) so messages fill well.</summary>
    private List<Piece> RowPieces(OutboxMessageKind kind, Dictionary<string, List<OutboxEntry>> byDevice, int budget)
    {
        var pieces = new List<Piece>();
        int rank = 0;
        bool any = true;
        while (any)
        {
            any = false;
            foreach (var rows in byDevice.Values)
            {
                if (rank >= rows.Count) continue;
                any = true;
                var piece = PayloadBuilder.PieceOf(kind, [rows[rank]], NameOf(rows[rank].Message.Device));
                if (SizeOf(kind, piece) > budget) Reject(rows[rank]);
                else pieces.Add(piece);
            }
            rank++;
        }
        return pieces;
    }

    private void PackPieces(OutboxMessageKind kind, List<Piece> pieces, int budget)
    {
        var current = new List<Piece>();
        var devices = new HashSet<string>(StringComparer.Ordinal);
        int size = PayloadBuilder.MessageOverhead;
        foreach (var piece in pieces)
        {
            if (current.Count > 0 && (size + piece.EntrySize > budget || devices.Contains(piece.Device)))
            {
                _messages.Add(new OutgoingMessage(kind, current));
                current = [];
                devices.Clear();
                size = PayloadBuilder.MessageOverhead;
            }
            current.Add(piece);
            devices.Add(piece.Device);
            size += piece.EntrySize;
        }
        if (current.Count > 0) _messages.Add(new OutgoingMessage(kind, current));
    }

    /// <summary>The encoded name the cloud knows a local device by (renames applied), once per batch.</summary>
    private byte[] NameOf(string device)
    {
        if (!_names.TryGetValue(device, out var name))
            _names[device] = name = PayloadBuilder.EncodeName(cloudName is null ? device : cloudName(device));
        return name;
    }

    private static int SizeOf(OutboxMessageKind kind, Piece piece) =>
        PayloadBuilder.IsBatched(kind) ? PayloadBuilder.MessageOverhead + piece.EntrySize : piece.Value.Length;

    private void Reject(OutboxEntry row) => _tooLarge.Add((row, maxPayloadBytes > 0 && maxPayloadBytes < maxPacketBytes
        ? $"larger than the session's payload limit of {maxPayloadBytes} bytes"
        : $"larger than the packet limit of {maxPacketBytes} bytes"));
}
