-- Up Migration
-- Drip's consumers buffer each record's event here, with their offsets, in one transaction; the decider applies an
-- account's events once the watermark has passed their hour (libs/fsm timeline) and deletes them in the transaction
-- that writes the account's state and its e-mails to the outbox.
CREATE TABLE drip_events (
  id         bigserial PRIMARY KEY,
  account_id text      NOT NULL,
  hour       bigint    NOT NULL,
  event      jsonb     NOT NULL
);
CREATE INDEX drip_events_account ON drip_events (account_id, hour);
CREATE INDEX drip_events_hour ON drip_events (hour);

-- The latest event hour each consumed partition has shown: what the watermark is computed from.
CREATE TABLE drip_progress (
  topic       text    NOT NULL,
  partition   integer NOT NULL,
  latest_hour bigint  NOT NULL,
  PRIMARY KEY (topic, partition)
);

-- The first hour not yet closed for the account (libs/fsm Clocked.openHour); due_at holds the epoch hour of the
-- account's next timer.
ALTER TABLE drip_accounts ADD COLUMN open_hour bigint;

-- Down Migration
ALTER TABLE drip_accounts DROP COLUMN open_hour;
DROP TABLE drip_progress;
DROP TABLE drip_events;
