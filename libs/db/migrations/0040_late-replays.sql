-- Up Migration
-- Late samples an operator has re-injected into traffic.samples (`tally late replay`), one row per record of the
-- late-data topic, so a second run sends nothing again. Written in the transaction that wraps the send: a failed
-- send rolls the rows back. The sample's identity is kept for operators (what was replayed, when).
CREATE TABLE late_replays (
  topic        text        NOT NULL,
  partition    integer     NOT NULL,
  "offset"     bigint      NOT NULL CHECK ("offset" >= 0),
  instance_id  text        NOT NULL,
  interface_id text        NOT NULL,
  window_start bigint      NOT NULL,
  replayed_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (topic, partition, "offset")
);

-- Down Migration
DROP TABLE late_replays;
