-- Up Migration
-- Billing's state (services/billing). Everything here is derived from the compacted topics (usage.hourly, prices,
-- accounts) and payments, except finalized invoices and invoice numbers, which are the legal record.
-- Times are epoch milliseconds (bigint), as on the wire; amounts live in the invoice documents as decimal strings.
-- Table names carry a billing_ prefix where metering has a table of the same concept (usage_hourly).

-- The latest usage.hourly value per instance-hour as billing sees it. The upsert keeps the highest version; for two
-- different values with the same version (which metering never writes) the greater jsonb text wins, so the row does
-- not depend on arrival order.
CREATE TABLE billing_usage (
  instance_id text   NOT NULL,
  hour_start  bigint NOT NULL,
  account_id  text   NOT NULL,
  version     bigint NOT NULL CHECK (version >= 0),
  record      jsonb  NOT NULL,
  PRIMARY KEY (instance_id, hour_start)
);
CREATE INDEX billing_usage_account_hour ON billing_usage (account_id, hour_start);

-- prices.v1, keyed by priceEntryKey (sku|currency|effectiveFrom ISO); a later record for a key replaces it.
CREATE TABLE billing_prices (
  key            text   PRIMARY KEY,
  sku            text   NOT NULL,
  currency       text   NOT NULL,
  effective_from bigint NOT NULL,
  entry          jsonb  NOT NULL
);

-- accounts.v1, latest value per account.
CREATE TABLE billing_accounts (
  account_id text  PRIMARY KEY,
  currency   text  NOT NULL,
  record     jsonb NOT NULL
);

-- payments.v1: facts, stored once per payment id.
CREATE TABLE billing_payments (
  payment_id     text   PRIMARY KEY,
  account_id     text   NOT NULL,
  invoice_number text,
  at             bigint NOT NULL,
  record         jsonb  NOT NULL
);
CREATE INDEX billing_payments_account ON billing_payments (account_id);

-- The BillingHourly value last published per account-hour (also what the next hours' month-to-date builds on).
CREATE TABLE billing_hourly (
  account_id text   NOT NULL,
  hour_start bigint NOT NULL,
  version    bigint NOT NULL,
  value      jsonb  NOT NULL,
  PRIMARY KEY (account_id, hour_start)
);

-- Account-hours that could not be priced yet (account or price not known): retried when either arrives.
CREATE TABLE billing_pending_hours (
  account_id text   NOT NULL,
  hour_start bigint NOT NULL,
  reason     text   NOT NULL,
  PRIMARY KEY (account_id, hour_start)
);

-- Accounts whose draft invoices must be rebuilt; written in the consumers' transactions, drained by the refresher.
-- Every mark takes a new seq; the refresher reads marks without locking them and deletes only the seq it rebuilt
-- for, so a consumer marking meanwhile never waits for a rebuild and its mark survives it.
CREATE TABLE billing_dirty_accounts (
  account_id text   PRIMARY KEY,
  seq        bigserial NOT NULL
);

-- One invoice per account and month (in the account's time zone). Drafts are rebuilt freely; a finalized invoice is
-- immutable (trigger below). content is the core's InvoiceDraft document, content_hash its SHA-256 (invoiceHash).
-- A draft whose build failed (no price in force yet) has no content and says why in problem.
CREATE TABLE invoices (
  account_id   text        NOT NULL,
  month        text        NOT NULL CHECK (month ~ '^\d{4}-(0[1-9]|1[0-2])$'),
  status       text        NOT NULL CHECK (status IN ('draft', 'finalized')),
  issuer       text,
  number       text        UNIQUE,
  currency     text,
  total        numeric,
  content      jsonb,
  content_hash text,
  problem      text,
  finalized_at timestamptz,
  updated_at   timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (account_id, month),
  CHECK (status = 'draft' OR (number IS NOT NULL AND issuer IS NOT NULL AND content IS NOT NULL
                              AND content_hash IS NOT NULL AND finalized_at IS NOT NULL))
);
CREATE INDEX invoices_month_status ON invoices (month, status, account_id);

-- Invariant 7, enforced by the database, whoever connects: a finalized invoice is never updated or deleted.
CREATE FUNCTION invoices_refuse_finalized_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF OLD.status = 'finalized' THEN
    RAISE EXCEPTION 'invoice % (% %) is finalized and immutable', OLD.number, OLD.account_id, OLD.month
      USING ERRCODE = 'integrity_constraint_violation';
  END IF;
  IF TG_OP = 'DELETE' THEN
    RETURN OLD;
  END IF;
  RETURN NEW;
END;
$$;
CREATE TRIGGER invoices_finalized_immutable
  BEFORE UPDATE OR DELETE ON invoices
  FOR EACH ROW EXECUTE FUNCTION invoices_refuse_finalized_change();

CREATE FUNCTION invoices_refuse_truncate() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF EXISTS (SELECT 1 FROM invoices WHERE status = 'finalized') THEN
    RAISE EXCEPTION 'invoices holds finalized invoices; TRUNCATE refused' USING ERRCODE = 'integrity_constraint_violation';
  END IF;
  RETURN NULL;
END;
$$;
CREATE TRIGGER invoices_no_truncate BEFORE TRUNCATE ON invoices
  FOR EACH STATEMENT EXECUTE FUNCTION invoices_refuse_truncate();

-- Gapless invoice numbers: one row per issuer and year, incremented in the finalizing transaction (never a sequence,
-- which skips numbers on rollback).
CREATE TABLE invoice_counters (
  issuer text    NOT NULL,
  year   integer NOT NULL,
  last   bigint  NOT NULL CHECK (last >= 0),
  PRIMARY KEY (issuer, year)
);

-- Down Migration
DROP TABLE invoice_counters;
DROP TRIGGER invoices_no_truncate ON invoices;
DROP TRIGGER invoices_finalized_immutable ON invoices;
DROP TABLE invoices;
DROP FUNCTION invoices_refuse_truncate();
DROP FUNCTION invoices_refuse_finalized_change();
DROP TABLE billing_dirty_accounts;
DROP TABLE billing_pending_hours;
DROP TABLE billing_hourly;
DROP TABLE billing_payments;
DROP TABLE billing_accounts;
DROP TABLE billing_prices;
DROP TABLE billing_usage;
