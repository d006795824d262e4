-- The (kind, id) index held every row, so each group commit of telemetry also rewrote one to five of its leaf
-- pages into the WAL (4 KiB each; issue 21: about a fifth of a commit's frames). The queries that look rows up
-- by kind ask for the rare kinds (the awaited kinds' lease, attribute compaction); dropping the oldest telemetry
-- walks the table in id order, where telemetry is nearly every row. So the index now holds only the rest; a
-- query that wants it says "kind <> 1" (SQLite uses a partial index when the query's WHERE names its condition).
DROP INDEX outbox_by_kind;
CREATE INDEX outbox_by_kind ON outbox (kind, id) WHERE kind <> 1;
