-- Up Migration
-- Account changes and stored billing baselines (services/billing README, "Account changes" and "Adjustment policy").

-- An invoice is 'regular' (bills its month, closes it) or 'adjustment' (carries adjustments of months billed in a
-- currency the account has since left: never converted, issued in that currency). One invoice per account, month and
-- currency; at most one regular invoice per account and month.
ALTER TABLE invoices ADD COLUMN kind text NOT NULL DEFAULT 'regular' CHECK (kind IN ('regular', 'adjustment'));
-- Drafts that could not be built had no currency; they are rebuilt under the new key.
INSERT INTO billing_dirty_accounts (account_id)
  SELECT DISTINCT account_id FROM invoices WHERE status = 'draft'
  ON CONFLICT (account_id) DO UPDATE SET seq = EXCLUDED.seq;
DELETE FROM invoices WHERE status = 'draft';
ALTER TABLE invoices ALTER COLUMN currency SET NOT NULL;
ALTER TABLE invoices DROP CONSTRAINT invoices_pkey;
ALTER TABLE invoices ADD PRIMARY KEY (account_id, month, currency);
CREATE UNIQUE INDEX invoices_one_regular ON invoices (account_id, month) WHERE kind = 'regular';

-- The price entry each finalized month was billed with, per price entry key, written when an invoice carrying the
-- month's lines is finalized (first writer wins). Adjustments of that month are priced with it, so a price
-- republished under the same key later never changes what a finalized month costs. Part of the legal record, like
-- the finalized invoices: keep it with them when rebuilding the rest from the topics.
CREATE TABLE billing_billed_entries (
  account_id      text  NOT NULL,
  month           text  NOT NULL,
  price_entry_key text  NOT NULL,
  entry           jsonb NOT NULL,
  PRIMARY KEY (account_id, month, price_entry_key)
);

-- Backfill for invoices finalized before this migration: the entries as stored now (the best knowledge left).
INSERT INTO billing_billed_entries (account_id, month, price_entry_key, entry)
  SELECT DISTINCT ON (i.account_id, COALESCE(l->>'adjustsMonth', i.month), l->>'priceEntryKey')
         i.account_id, COALESCE(l->>'adjustsMonth', i.month), l->>'priceEntryKey', p.entry
  FROM invoices i
  CROSS JOIN LATERAL jsonb_array_elements(i.content->'lines') AS l
  JOIN billing_prices p ON p.key = l->>'priceEntryKey'
  WHERE i.status = 'finalized' AND l->>'priceEntryKey' IS NOT NULL
  ON CONFLICT DO NOTHING;

CREATE FUNCTION billing_billed_entries_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'billed entry % (% %) is part of a finalized invoice and immutable',
    OLD.price_entry_key, OLD.account_id, OLD.month USING ERRCODE = 'integrity_constraint_violation';
END;
$$;
CREATE TRIGGER billing_billed_entries_immutable
  BEFORE UPDATE OR DELETE ON billing_billed_entries
  FOR EACH ROW EXECUTE FUNCTION billing_billed_entries_refuse_change();

-- Down Migration
DROP TRIGGER billing_billed_entries_immutable ON billing_billed_entries;
DROP FUNCTION billing_billed_entries_refuse_change();
DROP TABLE billing_billed_entries;
DELETE FROM invoices WHERE status = 'draft';
DROP INDEX invoices_one_regular;
ALTER TABLE invoices DROP CONSTRAINT invoices_pkey;
ALTER TABLE invoices ADD PRIMARY KEY (account_id, month);
ALTER TABLE invoices ALTER COLUMN currency DROP NOT NULL;
ALTER TABLE invoices DROP COLUMN kind;
