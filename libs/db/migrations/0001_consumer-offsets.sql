-- Up Migration
-- The next offset to read, per consumer group and partition, written in the same transaction as the
-- consumer's results (ARCHITECTURE.md invariant 2). Kafka's own committed offsets are only a hint.
CREATE TABLE consumer_offsets (
  group_id    text    NOT NULL,
  topic       text    NOT NULL,
  partition   integer NOT NULL,
  next_offset bigint  NOT NULL CHECK (next_offset >= 0),
  updated_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (group_id, topic, partition)
);

-- Down Migration
DROP TABLE consumer_offsets;
