-- Up Migration
-- When the finalizer first saw a draft month due (its clock, epoch ms). A month may be finalized only once a watermark
-- round taken at or after that instant is done: a month that becomes due on late data (a draft that appears after the
-- round covering its due date, e.g. adjustments of late usage beyond grace) waits until billing has read what was
-- produced before it was seen, instead of being finalized on the first of several late batches.
ALTER TABLE invoices ADD COLUMN due_seen_at bigint;

-- Down Migration
ALTER TABLE invoices DROP COLUMN due_seen_at;
