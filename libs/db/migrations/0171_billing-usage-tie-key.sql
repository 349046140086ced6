-- Up Migration
-- Two different usage values with the same version (metering never writes them, a glitch or a hand-written record
-- may) were resolved by latestUsage with the canonical JSON of the whole record and by the upsert with the stored
-- jsonb text (other key order, `counted` left out, the database's collation): a replay that batched records
-- differently could keep another value. Both now compare the key services/billing latest-usage.ts `usageTieKey`
-- computes once (SHA-256 hex of the stored form's canonical JSON), compared COLLATE "C". Rows stored before have none
-- (NULL): an equal value gives them their key without counting as a change; a different one of the same version
-- replaces them once.
ALTER TABLE billing_usage ADD COLUMN tie_key text;

-- Down Migration
ALTER TABLE billing_usage DROP COLUMN tie_key;
