-- Up Migration
-- Dead letters an operator has re-driven (`tally dlq redrive`), one row each, by where they sit in their
-- dead-letter topic. Progress is kept per dead letter, not as group offsets: a redrive filtered by error class
-- must leave every other dead letter waiting, wherever it sits.
CREATE TABLE redriven_dead_letters (
  dlq_topic   text        NOT NULL,
  partition   integer     NOT NULL,
  "offset"    bigint      NOT NULL CHECK ("offset" >= 0),
  error_class text        NOT NULL,
  redriven_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (dlq_topic, partition, "offset")
);

-- Down Migration
DROP TABLE redriven_dead_letters;
