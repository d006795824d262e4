-- Restored observe relations notify with the registration's message type (RFC 7641 §4.5).
ALTER TABLE observe_relation ADD COLUMN confirmable INTEGER NOT NULL DEFAULT 1;
