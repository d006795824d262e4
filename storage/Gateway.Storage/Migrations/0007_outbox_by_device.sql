-- Live rows first (issue 23): a lease takes the young rows of devices that have no older row
-- before the backlog. This created the index (device, id) for "has an older row"; 0011 drops it
-- again (the outbox counts each device's rows in memory), so a new database does not build it only
-- to leave its pages on the free list.
SELECT 1;
