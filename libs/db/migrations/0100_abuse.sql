-- Up Migration
-- Abuse detection (services/abuse). Facts wait per account and hour until the watermark passes their hour; then
-- the decider applies them to the account's machine in the canonical order and deletes them.

-- The latest version of each fact (usage of an instance-hour, charge of an account-hour, a payment, an invoice).
CREATE TABLE abuse_events (
  account_id text   NOT NULL,
  hour       bigint NOT NULL, -- epoch hour
  kind       text   NOT NULL,
  identity   text   NOT NULL,
  version    bigint NOT NULL DEFAULT 0,
  event      jsonb  NOT NULL,
  PRIMARY KEY (account_id, kind, identity, hour)
);
CREATE INDEX abuse_events_hour ON abuse_events (hour, account_id);

-- Account records (reference data: the latest version known).
CREATE TABLE abuse_accounts (
  account_id text  PRIMARY KEY,
  record     jsonb NOT NULL
);

-- The latest event hour read per input partition: what the watermark is made of.
CREATE TABLE abuse_progress (
  topic       text   NOT NULL,
  partition   int    NOT NULL,
  latest_hour bigint NOT NULL,
  PRIMARY KEY (topic, partition)
);

-- The watermark reached; it never moves back.
CREATE TABLE abuse_watermark (
  id   boolean PRIMARY KEY DEFAULT true CHECK (id),
  hour bigint  NOT NULL
);

-- Each account's machine: its state, the first hour not yet applied, and when it next needs a tick.
CREATE TABLE abuse_states (
  account_id text   PRIMARY KEY,
  state      jsonb  NOT NULL,
  open_hour  bigint,
  wake_hour  bigint,
  status     text   NOT NULL,
  version    bigint NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX abuse_states_wake ON abuse_states (wake_hour) WHERE wake_hour IS NOT NULL;

-- A person's decisions (tally abuse clear): the source of truth, kept when the tables above are rebuilt.
CREATE TABLE abuse_clearances (
  id         bigserial PRIMARY KEY,
  account_id text   NOT NULL,
  hour       bigint NOT NULL, -- the first open hour when it was made: it applies once that hour closes
  cleared_by text   NOT NULL,
  reason     text   NOT NULL CHECK (length(reason) BETWEEN 1 AND 500),
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX abuse_clearances_account ON abuse_clearances (account_id, hour);

-- Down Migration
DROP TABLE abuse_clearances;
DROP TABLE abuse_states;
DROP TABLE abuse_watermark;
DROP TABLE abuse_progress;
DROP TABLE abuse_accounts;
DROP TABLE abuse_events;
