import type { MeasuredUsage } from './usage-measures.ts';

/**
 * The columns that price a billing_usage row (alias `u`), read out of the stored record by PostgreSQL: a tenth of the
 * bytes of the whole record as JSON, and no JSON to parse here.
 */
export const MEASURED_USAGE_COLUMNS = `u.instance_id, u.account_id, u.hour_start, u.version,
  u.record->>'instanceType' AS instance_type, u.record->>'runningSeconds' AS running_seconds,
  u.record->>'txBytes' AS tx_bytes, u.record->>'rxBytes' AS rx_bytes`;

/** A row selected with MEASURED_USAGE_COLUMNS (numbers arrive as text: bigint columns and JSON fields). */
export interface MeasuredUsageRow {
  readonly instance_id: string;
  readonly account_id: string;
  readonly hour_start: string;
  readonly version: string;
  readonly instance_type: string;
  readonly running_seconds: string;
  readonly tx_bytes: string;
  readonly rx_bytes: string;
}

/** The usage a MEASURED_USAGE_COLUMNS row describes. */
export function measuredUsageOf(row: MeasuredUsageRow): MeasuredUsage {
  return {
    instanceId: row.instance_id,
    accountId: row.account_id,
    hourStart: Number(row.hour_start),
    version: Number(row.version),
    instanceType: row.instance_type,
    runningSeconds: Number(row.running_seconds),
    txBytes: Number(row.tx_bytes),
    rxBytes: Number(row.rx_bytes),
  };
}
