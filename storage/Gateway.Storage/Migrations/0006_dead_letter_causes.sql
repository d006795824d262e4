-- Dead letters get a cause (a closed set, for /metrics and `status`), their accounted size (pruning
-- by Storage:DeadLetterMaxBytes), and a retry mark: `coap-gateway dead-letter retry` only marks a
-- row, the service that owns the outbox moves it back (so its queue figures stay exact).
ALTER TABLE dead_letter ADD COLUMN cause TEXT NOT NULL DEFAULT 'refused';
ALTER TABLE dead_letter ADD COLUMN size INTEGER NOT NULL DEFAULT 0;
ALTER TABLE dead_letter ADD COLUMN retry INTEGER NOT NULL DEFAULT 0;
-- Rows from before this migration: the cause from the wording of the reason the forwarder wrote.
UPDATE dead_letter SET
    size = 64 + length(CAST(payload AS BLOB)) + length(CAST(device AS BLOB)),
    cause = CASE
        WHEN reason LIKE 'larger than%' THEN 'too_large'
        WHEN reason LIKE 'broker refused%' OR reason LIKE 'client refused%' THEN 'refused'
        ELSE 'invalid' END;
CREATE INDEX dead_letter_by_age ON dead_letter (dead_at_ms);

-- Rows ever moved to the dead-letter table, by cause: a counter that retry, drop and pruning do not lower.
CREATE TABLE dead_letter_totals (
    cause  TEXT    PRIMARY KEY,
    moved  INTEGER NOT NULL
) WITHOUT ROWID;
INSERT INTO dead_letter_totals (cause, moved) SELECT cause, count(*) FROM dead_letter GROUP BY cause;
