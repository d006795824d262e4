-- The name a device has in the cloud when ThingsBoard renamed it (gateway_device_renamed RPC,
-- thingsboard.md §4.5); absent = the local name. Applied by the bridge when it builds a message,
-- so rows queued before the rename go up under the new name too.
CREATE TABLE cloud_name (
    device      TEXT    PRIMARY KEY,   -- the local device name (device.name)
    cloud_name  TEXT    NOT NULL UNIQUE,
    updated_ms  INTEGER NOT NULL
);
