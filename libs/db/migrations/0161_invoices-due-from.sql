-- Up Migration
-- 0160's due_seen_at becomes due_from: the instant from which a draft month counts as due, fixed by the first
-- finalizer pass that saw it due: its end + grace, or that pass's instant when a done watermark round already covered
-- its due date then (its draft appeared on late data, after billing was declared caught up), so that it waits for a
-- round taken after it appeared. Rows are re-fixed by the next pass.
ALTER TABLE invoices RENAME COLUMN due_seen_at TO due_from;
UPDATE invoices SET due_from = NULL WHERE status = 'draft';

-- Down Migration
ALTER TABLE invoices RENAME COLUMN due_from TO due_seen_at;
