-- Live rows first (issue 23): a lease takes the young rows of devices that have no older row
-- before the backlog; "has an older row" is this index's lookup. One more b-tree per insert.
CREATE INDEX outbox_by_device ON outbox (device, id);
