-- CoAP deduplication by Message ID block (issue 21). A record per request in a (peer, MID) b-tree put
-- every row of a group commit on its own leaf page, and WAL writes each dirty page whole: ~4 KiB and a
-- third of the CPU per durable write. Peers count their Message IDs up (RFC 7252 §4.4), so a peer's
-- records of the last EXCHANGE_LIFETIME fill few blocks of 64 IDs: one bit per record. A peer's current
-- block lives in dedup_peer (one small row per peer, a few hot pages); when the peer moves on, the block
-- is written once to dedup_block. A block lives until its newest record expires, so its older bits live
-- longer; one matches a new request only if the peer went through over 65,400 IDs within EXCHANGE_LIFETIME
-- (§4.4 forbids reusing an ID within it), i.e. ~265 requests a second from one address and port.
-- The old table goes first, so the new ones take its pages instead of leaving them on the freelist
-- (which the outbox counts as free disk space).
CREATE TEMP TABLE old_dedup AS SELECT peer, mid, response, expires_at FROM dedup;
DROP TABLE dedup;

CREATE TABLE dedup_peer (
    peer        TEXT    NOT NULL PRIMARY KEY,
    response    BLOB    NOT NULL,      -- the response of every record in bits
    block       INTEGER NOT NULL,      -- MID >> 6
    bits        INTEGER NOT NULL,      -- bit (MID & 63) set: a record of this response
    other_bits  INTEGER NOT NULL,      -- bits of the same block in dedup_block when the block became current
    expires_at  INTEGER NOT NULL       -- store clock: the newest record's expiry
) WITHOUT ROWID;

CREATE TABLE dedup_block (
    peer        TEXT    NOT NULL,
    block       INTEGER NOT NULL,
    response    BLOB    NOT NULL,
    bits        INTEGER NOT NULL,
    expires_at  INTEGER NOT NULL,
    PRIMARY KEY (peer, block, response)
) WITHOUT ROWID;
CREATE INDEX dedup_block_by_expiry ON dedup_block (expires_at);

-- The records of the old table move over. The telemetry resource stored "peer#MID" with MID 0; those
-- become (peer, MID). Bits of one block are distinct powers of two, so their sum is their union.
INSERT INTO dedup_block (peer, block, response, bits, expires_at)
SELECT peer, mid >> 6, response, sum(DISTINCT 1 << (mid & 63)), max(expires_at) FROM (
    SELECT CASE WHEN split THEN substr(head, 1, length(head) - 1) ELSE peer END AS peer,
           CASE WHEN split THEN CAST(substr(peer, length(head) + 1) AS INTEGER) ELSE mid END AS mid,
           response, expires_at
    FROM (SELECT peer, mid, response, expires_at, rtrim(peer, '0123456789') AS head,
                 mid = 0 AND rtrim(peer, '0123456789') LIKE '%#' AND length(rtrim(peer, '0123456789')) < length(peer)
                     AND length(peer) - length(rtrim(peer, '0123456789')) <= 5 AS split
          FROM old_dedup))
GROUP BY peer, mid >> 6, response;

DROP TABLE old_dedup;
