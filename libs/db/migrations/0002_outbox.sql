-- Up Migration
-- Records to publish, written in the same transaction as the state they derive from (invariant 2):
-- a crash between commit and send loses nothing, the publisher sends them on its next pass.
CREATE TABLE outbox (
  id         bigserial PRIMARY KEY,
  topic      text  NOT NULL,
  key        text  NOT NULL,
  payload    jsonb NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);

-- Down Migration
DROP TABLE outbox;
