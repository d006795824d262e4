-- DTLS credentials (issue 16). A PSK identity is a name, not a secret (it crosses the network in the
-- clear, RFC 4279 §7.2); the key is stored AES-256-GCM encrypted under psk.key beside the database
-- (PskKeyProtector), because DTLS needs the key itself at handshake time and cannot work from a hash.
-- A client certificate is registered by the SHA-256 of its DER encoding (public, not a secret).
ALTER TABLE device ADD COLUMN psk_identity TEXT;
ALTER TABLE device ADD COLUMN psk_key BLOB;
ALTER TABLE device ADD COLUMN cert_sha256 BLOB;
CREATE UNIQUE INDEX device_by_psk_identity ON device (psk_identity) WHERE psk_identity IS NOT NULL;
CREATE UNIQUE INDEX device_by_certificate ON device (cert_sha256) WHERE cert_sha256 IS NOT NULL;
