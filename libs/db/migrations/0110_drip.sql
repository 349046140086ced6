-- Up Migration
-- The drip funnel's state per account (services/drip): the machine's state as JSON, written with the consumers'
-- offsets in one transaction. due_at is the event time at which the account's next timer could fire (NULL: none
-- pending), so a watermark advance locks only the accounts it can move.
CREATE TABLE drip_accounts (
  account_id text        PRIMARY KEY,
  state      jsonb       NOT NULL,
  due_at     bigint,
  stopped    boolean     NOT NULL DEFAULT false,
  updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX drip_accounts_due ON drip_accounts (due_at) WHERE due_at IS NOT NULL AND NOT stopped;

-- The event time up to which billing has completed hours (one row): drip's timers fire on it, never on the clock.
CREATE TABLE drip_watermark (
  id        boolean PRIMARY KEY DEFAULT true CHECK (id),
  watermark bigint  NOT NULL
);

-- Down Migration
DROP TABLE drip_watermark;
DROP TABLE drip_accounts;
