-- Up Migration
-- Metering's state (services/metering): one full, versioned row per instance-hour, the inventory it joins
-- samples with, and the samples that wait for an instance the inventory does not know yet.

-- The persisted InstanceHour: totals plus the slots already counted per interface (the idempotent merge needs
-- them after a restart). `version` only ever grows; an upsert never lets a lower version overwrite a higher.
CREATE TABLE usage_hourly (
  instance_id     text        NOT NULL,
  hour_start      timestamptz NOT NULL,
  account_id      text        NOT NULL,
  instance_type   text        NOT NULL,
  running_seconds bigint      NOT NULL CHECK (running_seconds >= 0),
  rx_bytes        bigint      NOT NULL CHECK (rx_bytes >= 0),
  tx_bytes        bigint      NOT NULL CHECK (tx_bytes >= 0),
  rx_packets      bigint      NOT NULL CHECK (rx_packets >= 0),
  tx_packets      bigint      NOT NULL CHECK (tx_packets >= 0),
  cpu_seconds     numeric     NOT NULL CHECK (cpu_seconds >= 0),
  -- [{ "interfaceId": "eth0", "slots": [0, 1, ...] }], as in usage.hourly values.
  counted         jsonb       NOT NULL,
  version         bigint      NOT NULL CHECK (version >= 0),
  updated_at      timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (instance_id, hour_start)
);
CREATE INDEX usage_hourly_account_hour ON usage_hourly (account_id, hour_start);

-- Latest inventory.instances record per instance; a record with an older or equal updatedAt never replaces it.
CREATE TABLE inventory (
  instance_id text        PRIMARY KEY,
  record      jsonb       NOT NULL,
  updated_at  timestamptz NOT NULL
);

-- One row per traffic.samples partition a metering group has handled. Its row lock serialises everything that
-- reads and writes that partition's state: batch commits and the timer that releases pending samples.
CREATE TABLE metering_partitions (
  group_id  text    NOT NULL,
  topic     text    NOT NULL,
  partition integer NOT NULL,
  PRIMARY KEY (group_id, topic, partition)
);

-- Samples waiting for their instance to appear in the inventory (the core's PendingSamples), per partition,
-- written in the same transaction as that partition's offsets. `seq` keeps their order.
CREATE TABLE metering_pending (
  group_id  text    NOT NULL,
  topic     text    NOT NULL,
  partition integer NOT NULL,
  seq       integer NOT NULL,
  sample    jsonb   NOT NULL,
  held_at   bigint  NOT NULL,
  PRIMARY KEY (group_id, topic, partition, seq)
);

-- Down Migration
DROP TABLE metering_pending;
DROP TABLE metering_partitions;
DROP TABLE inventory;
DROP TABLE usage_hourly;
