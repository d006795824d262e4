-- The gateway's local state: devices, attributes, dataports, downlinks, content, observers.

-- Credentials are never stored: only HMAC-SHA256(per-database key, credential). The first
-- 8 bytes of the digest, as an integer, are the indexed lookup prefix; the full digest is
-- compared in constant time.
CREATE TABLE device (
    id              INTEGER PRIMARY KEY,
    name            TEXT    NOT NULL UNIQUE,
    profile         TEXT    NOT NULL,
    token_prefix    INTEGER,
    token_hash      BLOB,
    vendor          TEXT,
    model           TEXT,
    serial          TEXT,
    activated       INTEGER NOT NULL DEFAULT 0,
    cik_prefix      INTEGER,
    cik_hash        BLOB,
    created_ms      INTEGER NOT NULL
);
CREATE INDEX device_by_token ON device (token_prefix) WHERE token_prefix IS NOT NULL;
CREATE INDEX device_by_cik ON device (cik_prefix) WHERE cik_prefix IS NOT NULL;
CREATE UNIQUE INDEX device_by_identity ON device (vendor, model, serial) WHERE vendor IS NOT NULL;

CREATE TABLE attribute (
    device      TEXT    NOT NULL,
    scope       INTEGER NOT NULL,      -- 1 client, 2 shared
    key         TEXT    NOT NULL,
    value       TEXT    NOT NULL,      -- JSON value
    updated_ms  INTEGER NOT NULL,
    PRIMARY KEY (device, scope, key)
) WITHOUT ROWID;

CREATE TABLE dataport_value (
    id          INTEGER PRIMARY KEY,
    device      TEXT    NOT NULL,
    alias       TEXT    NOT NULL,
    value       TEXT    NOT NULL,
    at_ms       INTEGER NOT NULL
);
CREATE INDEX dataport_by_alias ON dataport_value (device, alias, id);

CREATE TABLE downlink (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    device      TEXT    NOT NULL,
    kind        INTEGER NOT NULL,
    request_id  INTEGER,
    payload     BLOB    NOT NULL,
    status      INTEGER NOT NULL,
    created_ms  INTEGER NOT NULL,
    expires_ms  INTEGER NOT NULL
);
CREATE INDEX downlink_by_device ON downlink (device, status, id);

CREATE TABLE content (
    id              INTEGER PRIMARY KEY,
    name            TEXT    NOT NULL UNIQUE,
    content_type    TEXT    NOT NULL,
    size            INTEGER NOT NULL,
    sha256          BLOB    NOT NULL,
    etag            BLOB    NOT NULL,
    meta            TEXT,
    chunk_size      INTEGER NOT NULL,
    updated_ms      INTEGER NOT NULL
);

CREATE TABLE content_chunk (
    content_id  INTEGER NOT NULL REFERENCES content (id) ON DELETE CASCADE,
    seq         INTEGER NOT NULL,
    data        BLOB    NOT NULL,
    PRIMARY KEY (content_id, seq)
) WITHOUT ROWID;

CREATE TABLE observe_relation (
    peer        TEXT    NOT NULL,
    token       BLOB    NOT NULL,
    resource    TEXT    NOT NULL,
    device      TEXT,
    content_format INTEGER NOT NULL,
    last_seq    INTEGER NOT NULL,
    updated_ms  INTEGER NOT NULL,
    PRIMARY KEY (peer, token)
) WITHOUT ROWID;
