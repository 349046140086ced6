-- Up Migration
-- The month's position after each account-hour (services/billing, account-hours.ts MonthPosition): base units per SKU
-- and the running total, from the month's first hour to this one. A usage batch starts from the last one before its
-- first changed hour instead of re-reading every earlier hour of the month (quadratic over a month's replay). NULL for
-- rows written before it existed: those months are summed from their first hour, as before.
ALTER TABLE billing_hourly ADD COLUMN position jsonb;

-- Down Migration
ALTER TABLE billing_hourly DROP COLUMN position;
