-- Up Migration
-- The API's usage pages (services/api, usage routes) read a month of an account's usage per request: 500 instances
-- are 360 000 instance-hours, seconds per request even through the covering index of 0121 (which only helps once
-- vacuum has marked the pages all-visible, never true of the month metering is still writing). usage_daily holds
-- the same sums per instance and UTC day, 24 times fewer rows; the API reads it for every UTC day that lies whole
-- in the range and in one bucket, and usage_hourly for the rest (edges, hour buckets, days cut by a time zone).
--
-- It is kept by statement triggers on usage_hourly, in the writer's transaction: one set-based upsert per metering
-- statement (transition tables), so the roll-up is never behind and a rolled-back batch leaves no trace. Sums are
-- numeric, exact: a row carries the whole of its day's instance-hours, and a day's bytes could outgrow a bigint.
-- A row whose instance-hours moved away (an instance changing owner or type) is left at zero; readers skip those.
-- The functions are SECURITY DEFINER: metering writes usage_hourly, only these triggers write usage_daily.
CREATE TABLE usage_daily (
  account_id      text        NOT NULL,
  -- A UTC midnight.
  day             timestamptz NOT NULL,
  instance_id     text        NOT NULL,
  instance_type   text        NOT NULL,
  -- No CHECK (>= 0): the upsert checks the row it proposes, a negative delta, before it finds the row to update.
  instance_hours  integer     NOT NULL,
  running_seconds numeric     NOT NULL,
  rx_bytes        numeric     NOT NULL,
  tx_bytes        numeric     NOT NULL,
  rx_packets      numeric     NOT NULL,
  tx_packets      numeric     NOT NULL,
  cpu_seconds     numeric     NOT NULL,
  PRIMARY KEY (account_id, day, instance_id, instance_type)
);

DO $migration$
DECLARE
  s text := current_schema();
  -- Deltas of a statement's rows, one per roll-up key, applied in key order (so two writers wait, never cycle).
  apply text := $sql$
    INSERT INTO %1$I.usage_daily AS d (account_id, day, instance_id, instance_type, instance_hours, running_seconds,
                                       rx_bytes, tx_bytes, rx_packets, tx_packets, cpu_seconds)
    SELECT account_id, date_trunc('day', hour_start AT TIME ZONE 'UTC') AT TIME ZONE 'UTC', instance_id,
           instance_type, sum(n), sum(running_seconds), sum(rx_bytes), sum(tx_bytes), sum(rx_packets),
           sum(tx_packets), sum(cpu_seconds)
    FROM (%2$s) AS delta
    GROUP BY 1, 2, 3, 4
    ORDER BY 1, 2, 3, 4
    ON CONFLICT (account_id, day, instance_id, instance_type) DO UPDATE SET
      instance_hours = d.instance_hours + excluded.instance_hours,
      running_seconds = d.running_seconds + excluded.running_seconds,
      rx_bytes = d.rx_bytes + excluded.rx_bytes,
      tx_bytes = d.tx_bytes + excluded.tx_bytes,
      rx_packets = d.rx_packets + excluded.rx_packets,
      tx_packets = d.tx_packets + excluded.tx_packets,
      cpu_seconds = d.cpu_seconds + excluded.cpu_seconds$sql$;
  added text := $sql$SELECT account_id, hour_start, instance_id, instance_type, 1 AS n, running_seconds, rx_bytes,
    tx_bytes, rx_packets, tx_packets, cpu_seconds FROM new_rows$sql$;
  removed text := $sql$SELECT account_id, hour_start, instance_id, instance_type, -1 AS n,
    -running_seconds AS running_seconds, -rx_bytes AS rx_bytes, -tx_bytes AS tx_bytes, -rx_packets AS rx_packets,
    -tx_packets AS tx_packets, -cpu_seconds AS cpu_seconds FROM old_rows$sql$;
  body text := $f$
    CREATE FUNCTION %1$I.%2$I() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp AS $body$
    BEGIN
      %3$s;
      RETURN NULL;
    END;
    $body$$f$;
BEGIN
  EXECUTE format(body, s, 'usage_daily_add', format(apply, s, added));
  EXECUTE format(body, s, 'usage_daily_change', format(apply, s, added || ' UNION ALL ' || removed));
  EXECUTE format(body, s, 'usage_daily_remove', format(apply, s, removed));
  EXECUTE format(body, s, 'usage_daily_clear', format('TRUNCATE %I.usage_daily', s));
END
$migration$;

CREATE TRIGGER usage_daily_add AFTER INSERT ON usage_hourly
  REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION usage_daily_add();
CREATE TRIGGER usage_daily_change AFTER UPDATE ON usage_hourly
  REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION usage_daily_change();
CREATE TRIGGER usage_daily_remove AFTER DELETE ON usage_hourly
  REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION usage_daily_remove();
CREATE TRIGGER usage_daily_clear AFTER TRUNCATE ON usage_hourly
  FOR EACH STATEMENT EXECUTE FUNCTION usage_daily_clear();

INSERT INTO usage_daily (account_id, day, instance_id, instance_type, instance_hours, running_seconds, rx_bytes,
                         tx_bytes, rx_packets, tx_packets, cpu_seconds)
SELECT account_id, date_trunc('day', hour_start AT TIME ZONE 'UTC') AT TIME ZONE 'UTC', instance_id, instance_type,
       count(*), sum(running_seconds), sum(rx_bytes), sum(tx_bytes), sum(rx_packets), sum(tx_packets),
       sum(cpu_seconds)
FROM usage_hourly
GROUP BY 1, 2, 3, 4;

-- Down Migration
DROP TRIGGER usage_daily_clear ON usage_hourly;
DROP TRIGGER usage_daily_remove ON usage_hourly;
DROP TRIGGER usage_daily_change ON usage_hourly;
DROP TRIGGER usage_daily_add ON usage_hourly;
DROP FUNCTION usage_daily_clear();
DROP FUNCTION usage_daily_remove();
DROP FUNCTION usage_daily_change();
DROP FUNCTION usage_daily_add();
DROP TABLE usage_daily;
