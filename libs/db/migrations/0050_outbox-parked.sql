-- Up Migration
-- An outbox row that can never be sent (its value alone exceeds the topic's max.message.bytes, or it no longer
-- encodes or validates) is parked with its error instead of blocking the rows behind it (ARCHITECTURE invariant 6).
-- Publishers skip parked rows; a later row for the same topic and key supersedes a parked one (values are full and
-- versioned) and deletes it when it is sent. What stays parked is what an operator must look at.
ALTER TABLE outbox
  ADD COLUMN parked_at  timestamptz,
  ADD COLUMN error      text,
  ADD COLUMN size_bytes integer;

-- The publisher reads unparked rows in id order; billing's finalizer counts unsent and parked rows per topic.
CREATE INDEX outbox_unparked ON outbox (id) WHERE parked_at IS NULL;
CREATE INDEX outbox_topic_key ON outbox (topic, key);

-- Down Migration
DROP INDEX outbox_topic_key;
DROP INDEX outbox_unparked;
ALTER TABLE outbox DROP COLUMN size_bytes, DROP COLUMN error, DROP COLUMN parked_at;
