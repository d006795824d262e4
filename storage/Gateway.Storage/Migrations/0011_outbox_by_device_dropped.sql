-- The live-first lease (0007) asks whether a young row's device has an older row; the outbox now counts each
-- device's rows in memory (OutboxDeviceRows) and answers from the young tail it reads anyway. The index it
-- replaces cost a b-tree entry per insert and, spread over every device's leaf pages, most of the WAL pages
-- an acknowledgement wrote (README, "The live-first lease without an index").
DROP INDEX IF EXISTS outbox_by_device;
