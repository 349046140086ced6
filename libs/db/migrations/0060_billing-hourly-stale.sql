-- Up Migration
-- Accounts whose billing.hourly values after a changed hour are stale (their month-to-date and tier positions moved):
-- written in the usage consumer's transaction, recomputed by billing's refresh loop (services/billing README,
-- "Hourly preview"). Every mark takes a new seq; the loop deletes only the seq it recomputed for. The loop waits until
-- an account's marks are quiet (a replay in any order marks it with every batch) or the first mark is old.
CREATE TABLE billing_hourly_stale (
  account_id      text        PRIMARY KEY,
  from_hour       bigint      NOT NULL,
  to_hour         bigint      NOT NULL,
  seq             bigserial   NOT NULL,
  first_marked_at timestamptz NOT NULL DEFAULT now(),
  marked_at       timestamptz NOT NULL DEFAULT now()
);

-- Down Migration
DROP TABLE billing_hourly_stale;
