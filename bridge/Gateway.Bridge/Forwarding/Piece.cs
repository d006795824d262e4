using Gateway.Storage.Outbox;

namespace Gateway.Bridge.Forwarding;

/// <summary>
/// One device's part of a packed message: the rows it carries (in id order), the quoted device name
/// and its JSON value (the merged telemetry array, the attribute/claim object, or for one-row kinds
/// the whole payload).
/// </summary>
internal sealed record Piece(string Device, byte[] Name, IReadOnlyList<OutboxEntry> Rows, ReadOnlyMemory<byte> Value)
{
    /// <summary>Bytes this piece adds to a batched message: <c>"name":value,</c>.</summary>
    public int EntrySize => Name.Length + 2 + Value.Length;
}
