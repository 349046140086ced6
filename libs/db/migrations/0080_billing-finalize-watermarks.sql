-- Up Migration
-- The finalizer's watermark rounds (services/billing/src/finalize-watermark.ts). When a month falls due, billing
-- snapshots where traffic.samples ends, then waits, stage by stage, until metering has metered up to that snapshot
-- (and released the samples it held for their inventory), metering's outbox has sent what that produced, and
-- billing's consumers have read up to the ends snapshotted then.
-- Each snapshot is stored before it is waited on, so a restart keeps waiting for the same offsets instead of taking a
-- newer snapshot (which, under continuous load, could keep moving away). A done round covers every month due at or
-- before taken_at; later samples and usage are not waited for (they become adjustments, invariant 4).
CREATE TABLE billing_finalize_watermarks (
  id         bigserial   PRIMARY KEY,
  -- Billing's clock (epoch ms) when the round started: months whose end + grace is at or before it are covered.
  taken_at   bigint      NOT NULL,
  stage      text        NOT NULL CHECK (stage IN ('samples', 'held', 'usage-outbox', 'billing', 'done')),
  -- {"groupId", "topic", "offsets": {partition: high}}: traffic.samples' ends and metering's group.
  samples    jsonb       NOT NULL,
  -- The latest held_at in metering_pending once metering had passed `samples` (null: none held, or not yet there).
  held_until bigint,
  -- metering's highest outbox id once those held samples were gone (null: not yet there).
  outbox_max_id bigint,
  -- [{"groupId", "topic", "offsets"}]: billing's topics' ends once the outbox had sent everything up to maxId.
  billing    jsonb,
  created_at timestamptz NOT NULL DEFAULT now(),
  stage_at   timestamptz NOT NULL DEFAULT now()
);
-- At most one round in progress: two billing processes that both see a month fall due start one round, not two.
CREATE UNIQUE INDEX billing_finalize_watermarks_open ON billing_finalize_watermarks ((true)) WHERE stage <> 'done';
CREATE INDEX billing_finalize_watermarks_done ON billing_finalize_watermarks (taken_at) WHERE stage = 'done';

-- Down Migration
DROP TABLE billing_finalize_watermarks;
