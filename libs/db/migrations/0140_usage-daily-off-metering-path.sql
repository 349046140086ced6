-- Up Migration
-- The daily roll-up of 0122 leaves metering's transaction. Its statement triggers upserted the sums of every
-- (instance, UTC day) a metering statement touched, in that statement: ~0.06–0.1 ms per instance-hour (an UPDATE of
-- 100 000 rows took 11–14 s with them, 6–7 s without) and retried 40P01 deadlocks between two metering members.
--
-- Now:
-- * usage_daily_rollup (the former table) holds the sums per account, UTC day, instance and type as of its last
--   refresh, kept off metering's path by usage_daily_refresh() (the API calls it on a timer, see services/api).
-- * usage_daily_dirty lists the (account, instance, UTC day) whose hours changed since: an insert-only log written
--   by cheap statement triggers on usage_hourly (one row per distinct key per statement, no upsert, no row lock, so
--   no waits and no deadlocks between writers). An UPDATE that moves an hour to another owner, instance or day also
--   marks the key it left (a row trigger whose WHEN is false for metering's usual update).
-- * usage_daily is a view, exact at every snapshot: the roll-up's rows of keys not marked, plus the marked keys summed
--   from usage_hourly. A mark commits with the change it marks and leaves with the refresh that folds it in, so each
--   key is read either from a roll-up row that includes all its committed hours or from the hours themselves.
--   Readers keep its name and columns; filters on account and day reach both branches (grouping columns).
DROP TRIGGER usage_daily_clear ON usage_hourly;
DROP TRIGGER usage_daily_remove ON usage_hourly;
DROP TRIGGER usage_daily_change ON usage_hourly;
DROP TRIGGER usage_daily_add ON usage_hourly;
DROP FUNCTION usage_daily_clear();
DROP FUNCTION usage_daily_remove();
DROP FUNCTION usage_daily_change();
DROP FUNCTION usage_daily_add();

ALTER TABLE usage_daily RENAME TO usage_daily_rollup;
ALTER INDEX usage_daily_pkey RENAME TO usage_daily_rollup_pkey;
-- Rows 0122 left at zero (hours that moved to another owner or type); a refresh deletes such rows instead.
DELETE FROM usage_daily_rollup WHERE instance_hours = 0;

-- Append-only; the same key may be marked many times until a refresh takes all of its marks. No index: one would cost
-- metering ~9 µs per mark (0.9 s per 100 000), and the table stays small while the refresh runs (a few seconds of
-- changes), so readers scan it. If nothing refreshes for long, reads slow down (never wrong) until one does.
CREATE TABLE usage_daily_dirty (
  account_id  text        NOT NULL,
  -- A UTC midnight.
  day         timestamptz NOT NULL,
  instance_id text        NOT NULL
);

CREATE VIEW usage_daily AS
SELECT r.account_id, r.day, r.instance_id, r.instance_type, r.instance_hours, r.running_seconds, r.rx_bytes,
       r.tx_bytes, r.rx_packets, r.tx_packets, r.cpu_seconds
FROM usage_daily_rollup r
WHERE NOT EXISTS (SELECT 1 FROM usage_daily_dirty d
                  WHERE d.account_id = r.account_id AND d.day = r.day AND d.instance_id = r.instance_id)
UNION ALL
SELECT h.account_id, k.day, h.instance_id, h.instance_type, count(*)::integer, sum(h.running_seconds),
       sum(h.rx_bytes), sum(h.tx_bytes), sum(h.rx_packets), sum(h.tx_packets), sum(h.cpu_seconds)
FROM (SELECT DISTINCT account_id, day, instance_id FROM usage_daily_dirty) AS k
JOIN usage_hourly h ON h.account_id = k.account_id AND h.instance_id = k.instance_id
  AND h.hour_start >= k.day AND h.hour_start < k.day + interval '24 hours'
GROUP BY h.account_id, k.day, h.instance_id, h.instance_type;

DO $migration$
DECLARE
  s text := current_schema();
  -- The keys of a statement's rows, once each.
  mark text := $sql$
    INSERT INTO %1$I.usage_daily_dirty (account_id, day, instance_id)
    SELECT DISTINCT account_id, date_trunc('day', hour_start AT TIME ZONE 'UTC') AT TIME ZONE 'UTC', instance_id
    FROM %2$s$sql$;
  body text := $f$
    CREATE FUNCTION %1$I.%2$I() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp AS $body$
    BEGIN
      %3$s;
      RETURN NULL;
    END;
    $body$$f$;
BEGIN
  EXECUTE format(body, s, 'usage_daily_mark_new', format(mark, s, 'new_rows'));
  EXECUTE format(body, s, 'usage_daily_mark_old', format(mark, s, 'old_rows'));
  EXECUTE format(body, s, 'usage_daily_mark_moved', format(
    $sql$INSERT INTO %1$I.usage_daily_dirty (account_id, day, instance_id)
      VALUES (OLD.account_id, date_trunc('day', OLD.hour_start AT TIME ZONE 'UTC') AT TIME ZONE 'UTC',
              OLD.instance_id)$sql$, s));
  EXECUTE format(body, s, 'usage_daily_clear', format('TRUNCATE %1$I.usage_daily_rollup, %1$I.usage_daily_dirty', s));
  -- The refresh: takes up to max_keys marks, recomputes their keys from usage_hourly, in one statement (one
  -- snapshot: the marks it takes are of changes that snapshot sees; later marks stay for the next refresh).
  -- Refreshes take turns (advisory lock); one that finds another running returns -1. Returns the marks taken.
  EXECUTE format($f$
    CREATE FUNCTION %1$I.usage_daily_refresh(max_keys integer) RETURNS integer LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp AS $body$
    DECLARE
      taken integer;
    BEGIN
      IF NOT pg_try_advisory_xact_lock(hashtext(%2$L)) THEN
        RETURN -1;
      END IF;
      WITH marks AS (
        DELETE FROM %1$I.usage_daily_dirty WHERE ctid = ANY (ARRAY(SELECT ctid FROM %1$I.usage_daily_dirty LIMIT max_keys))
        RETURNING account_id, day, instance_id
      ), keys AS (
        SELECT DISTINCT account_id, day, instance_id FROM marks
      ), fresh AS (
        SELECT h.account_id, k.day, h.instance_id, h.instance_type, count(*)::integer AS instance_hours,
               sum(h.running_seconds) AS running_seconds, sum(h.rx_bytes) AS rx_bytes, sum(h.tx_bytes) AS tx_bytes,
               sum(h.rx_packets) AS rx_packets, sum(h.tx_packets) AS tx_packets, sum(h.cpu_seconds) AS cpu_seconds
        FROM keys k
        JOIN %1$I.usage_hourly h ON h.account_id = k.account_id AND h.instance_id = k.instance_id
          AND h.hour_start >= k.day AND h.hour_start < k.day + interval '24 hours'
        GROUP BY 1, 2, 3, 4
      ), stale AS (
        DELETE FROM %1$I.usage_daily_rollup r USING keys k
        WHERE r.account_id = k.account_id AND r.day = k.day AND r.instance_id = k.instance_id
          AND NOT EXISTS (SELECT 1 FROM fresh f WHERE f.account_id = r.account_id AND f.day = r.day
                            AND f.instance_id = r.instance_id AND f.instance_type = r.instance_type)
      ), written AS (
        INSERT INTO %1$I.usage_daily_rollup AS d (account_id, day, instance_id, instance_type, instance_hours,
          running_seconds, rx_bytes, tx_bytes, rx_packets, tx_packets, cpu_seconds)
        SELECT * FROM fresh ORDER BY 1, 2, 3, 4
        ON CONFLICT (account_id, day, instance_id, instance_type) DO UPDATE SET
          instance_hours = excluded.instance_hours, running_seconds = excluded.running_seconds,
          rx_bytes = excluded.rx_bytes, tx_bytes = excluded.tx_bytes, rx_packets = excluded.rx_packets,
          tx_packets = excluded.tx_packets, cpu_seconds = excluded.cpu_seconds
      )
      SELECT count(*) INTO taken FROM marks;
      RETURN taken;
    END;
    $body$$f$, s, s || '.usage_daily_refresh');
END
$migration$;

CREATE TRIGGER usage_daily_mark_insert AFTER INSERT ON usage_hourly
  REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION usage_daily_mark_new();
CREATE TRIGGER usage_daily_mark_update AFTER UPDATE ON usage_hourly
  REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION usage_daily_mark_new();
CREATE TRIGGER usage_daily_mark_moved AFTER UPDATE ON usage_hourly FOR EACH ROW
  WHEN (OLD.account_id IS DISTINCT FROM NEW.account_id OR OLD.instance_id IS DISTINCT FROM NEW.instance_id
        OR OLD.hour_start IS DISTINCT FROM NEW.hour_start)
  EXECUTE FUNCTION usage_daily_mark_moved();
CREATE TRIGGER usage_daily_mark_delete AFTER DELETE ON usage_hourly
  REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION usage_daily_mark_old();
CREATE TRIGGER usage_daily_clear AFTER TRUNCATE ON usage_hourly
  FOR EACH STATEMENT EXECUTE FUNCTION usage_daily_clear();

-- Down Migration
DROP TRIGGER usage_daily_clear ON usage_hourly;
DROP TRIGGER usage_daily_mark_delete ON usage_hourly;
DROP TRIGGER usage_daily_mark_moved ON usage_hourly;
DROP TRIGGER usage_daily_mark_update ON usage_hourly;
DROP TRIGGER usage_daily_mark_insert ON usage_hourly;
DROP FUNCTION usage_daily_refresh(integer);
DROP FUNCTION usage_daily_clear();
DROP FUNCTION usage_daily_mark_moved();
DROP FUNCTION usage_daily_mark_old();
DROP FUNCTION usage_daily_mark_new();
DROP VIEW usage_daily;
DROP TABLE usage_daily_dirty;
ALTER INDEX usage_daily_rollup_pkey RENAME TO usage_daily_pkey;
ALTER TABLE usage_daily_rollup RENAME TO usage_daily;
-- 0122's triggers again, its roll-up recomputed from usage_hourly.
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

TRUNCATE usage_daily;
INSERT INTO usage_daily (account_id, day, instance_id, instance_type, instance_hours, running_seconds, rx_bytes,
                         tx_bytes, rx_packets, tx_packets, cpu_seconds)
SELECT account_id, date_trunc('day', hour_start AT TIME ZONE 'UTC') AT TIME ZONE 'UTC', instance_id, instance_type,
       count(*), sum(running_seconds), sum(rx_bytes), sum(tx_bytes), sum(rx_packets), sum(tx_packets),
       sum(cpu_seconds)
FROM usage_hourly
GROUP BY 1, 2, 3, 4;
