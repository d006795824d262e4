-- Store-and-forward queue (reference/reliability.md §1.6).
-- Sizes and times are integers: bytes, and milliseconds of the store clock (see StoreClock.cs),
-- which is monotonic and survives restarts; wall-clock receive time is kept only as data.

CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value BLOB NOT NULL
) WITHOUT ROWID;

-- AUTOINCREMENT: an id is never reused, even after the newest row was acked, so a late ack
-- from the forwarder can never delete a different message.
CREATE TABLE outbox (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    device          TEXT    NOT NULL,
    kind            INTEGER NOT NULL,
    payload         BLOB    NOT NULL,
    content_format  INTEGER NOT NULL,
    received_at_ms  INTEGER NOT NULL,  -- Unix ms of the wall clock at receipt (may be wrong before NTP)
    clock_synced    INTEGER NOT NULL,  -- 1 when the wall clock was known to be synchronised
    enqueued_clock  INTEGER NOT NULL,  -- store clock at enqueue: ages and TTLs come from this
    attempts        INTEGER NOT NULL DEFAULT 0,
    lease_until     INTEGER,           -- store clock; NULL = not leased
    size            INTEGER NOT NULL   -- accounted bytes (payload + device + keys + fixed overhead)
);
-- Every index costs a WAL page per commit, so only what a query needs: telemetry drops by age
-- (kind, id) and the lease's "device already in flight" test (partial index on leases).
CREATE INDEX outbox_by_kind ON outbox (kind, id);
CREATE INDEX outbox_leased ON outbox (lease_until) WHERE lease_until IS NOT NULL;

-- Attribute keys carried by a client-attributes row; compaction deletes a row once every key it
-- carries also appears in a later row of the same device.
CREATE TABLE outbox_key (
    id     INTEGER NOT NULL,
    device TEXT    NOT NULL,
    key    TEXT    NOT NULL,
    PRIMARY KEY (id, key)
) WITHOUT ROWID;
CREATE INDEX outbox_key_by_device ON outbox_key (device, key, id);

CREATE TABLE dead_letter (
    id              INTEGER PRIMARY KEY,
    device          TEXT    NOT NULL,
    kind            INTEGER NOT NULL,
    payload         BLOB    NOT NULL,
    content_format  INTEGER NOT NULL,
    received_at_ms  INTEGER NOT NULL,
    clock_synced    INTEGER NOT NULL,
    attempts        INTEGER NOT NULL,
    reason          TEXT    NOT NULL,
    dead_at_ms      INTEGER NOT NULL
);

-- CoAP deduplication: (peer identity, MID) -> response already sent, written in the same
-- transaction as the row it guards.
CREATE TABLE dedup (
    peer        TEXT    NOT NULL,
    mid         INTEGER NOT NULL,
    response    BLOB    NOT NULL,
    expires_at  INTEGER NOT NULL,      -- store clock
    PRIMARY KEY (peer, mid)
) WITHOUT ROWID;
CREATE INDEX dedup_by_expiry ON dedup (expires_at);

-- Exact drop counters, persisted so `coap-gateway status` in another process sees them.
CREATE TABLE outbox_drops (
    kind    INTEGER NOT NULL,
    reason  INTEGER NOT NULL,
    count   INTEGER NOT NULL,
    PRIMARY KEY (kind, reason)
) WITHOUT ROWID;
