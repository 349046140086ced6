-- Up Migration
-- Accounts whose billing.hourly values after a changed hour are stale (their month-to-date and tier positions moved):
-- written in the usage consumer's transaction, recomputed by billing's refresh loop (services/billing README,
-- "Hourly preview"). Every mark takes a new seq; the loop deletes only the seq it recomputed for.
CREATE TABLE billing_hourly_stale (
  account_id text      PRIMARY KEY,
  from_hour  bigint    NOT NULL,
  to_hour    bigint    NOT NULL,
  seq        bigserial NOT NULL
);

-- Down Migration
DROP TABLE billing_hourly_stale;
