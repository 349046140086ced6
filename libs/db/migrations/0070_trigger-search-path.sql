-- Up Migration
-- Trigger functions run with the caller's search_path. A role that can put a table named `invoices` in a schema the
-- caller searches first could make the TRUNCATE guard look at the wrong table. Pin each function's search_path and
-- name its tables with the schema they were created in (this migration runs once per schema).
DO $migration$
DECLARE
  s text := current_schema();
BEGIN
  EXECUTE format($f$
    CREATE OR REPLACE FUNCTION %1$I.invoices_refuse_truncate() RETURNS trigger LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp AS $body$
    BEGIN
      IF EXISTS (SELECT 1 FROM %1$I.invoices WHERE status = 'finalized') THEN
        RAISE EXCEPTION 'invoices holds finalized invoices; TRUNCATE refused'
          USING ERRCODE = 'integrity_constraint_violation';
      END IF;
      RETURN NULL;
    END;
    $body$$f$, s);
  EXECUTE format('ALTER FUNCTION %I.invoices_refuse_finalized_change() SET search_path = pg_catalog, pg_temp', s);
  EXECUTE format('ALTER FUNCTION %I.billing_billed_entries_refuse_change() SET search_path = pg_catalog, pg_temp', s);
END
$migration$;

-- Down Migration
ALTER FUNCTION billing_billed_entries_refuse_change() RESET search_path;
ALTER FUNCTION invoices_refuse_finalized_change() RESET search_path;
CREATE OR REPLACE FUNCTION invoices_refuse_truncate() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF EXISTS (SELECT 1 FROM invoices WHERE status = 'finalized') THEN
    RAISE EXCEPTION 'invoices holds finalized invoices; TRUNCATE refused' USING ERRCODE = 'integrity_constraint_violation';
  END IF;
  RETURN NULL;
END;
$$;
