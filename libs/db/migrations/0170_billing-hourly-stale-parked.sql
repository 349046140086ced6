-- Up Migration
-- A stale mark whose account cannot be computed (a pure function throwing on its data: an unknown time zone, a stored
-- value that does not parse) is parked with the error instead of failing the whole stale-hours pass, every pass, for
-- every account of the batch (ARCHITECTURE invariant 6). The pass skips a mark parked at its current seq; a new mark
-- (new input for the account) takes a new seq and is tried again. What stays parked is what an operator must look at.
ALTER TABLE billing_hourly_stale
  ADD COLUMN parked_seq    bigint,
  ADD COLUMN parked_reason text,
  ADD COLUMN parked_at     timestamptz;

-- Down Migration
ALTER TABLE billing_hourly_stale DROP COLUMN parked_seq, DROP COLUMN parked_reason, DROP COLUMN parked_at;
