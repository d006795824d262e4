namespace Gateway.Storage.Outbox;

/// <summary>
/// The CoAP deduplication entry stored in the same transaction as the row it guards, so a
/// retransmission of the request (also after a restart) gets <see cref="Response"/> instead of a
/// second row.
/// </summary>
/// <param name="Peer">Peer identity: DTLS PSK identity or certificate, else "ip:port".</param>
/// <param name="MessageId">CoAP Message ID of the request.</param>
/// <param name="Response">Encoded response to replay for a duplicate.</param>
/// <param name="Lifetime">How long the record counts (EXCHANGE_LIFETIME, 247 s, for CON).</param>
public readonly record struct DedupRecord(string Peer, int MessageId, ReadOnlyMemory<byte> Response, TimeSpan Lifetime);
