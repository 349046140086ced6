-- Up Migration
-- The month's position after each billing.hourly value (services/billing, account-hours.ts MonthPosition): per price
-- epoch the summed base units per SKU and hour totals of the month's hours up to this one. The usage batch starts
-- from the latest hour's position instead of summing every earlier hour of the month, so a month read hour by hour
-- (a rebuild from empty tables) costs linear time, not quadratic. NULL (rows written before): summed as before.
ALTER TABLE billing_hourly ADD COLUMN position jsonb;

-- Down Migration
ALTER TABLE billing_hourly DROP COLUMN position;
