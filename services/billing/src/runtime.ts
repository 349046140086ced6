// The I/O side of billing, for the operator CLI, tests and benchmarks: tables, finalization. The pure core is index.ts.
export { billingEnv, graceMs, type BillingConfig } from './config.ts';
export { finalizeDue, type FinalizerOptions, type FinalizeOutcome } from './finalizer.ts';
export { refreshAllDirtyDrafts, refreshDirtyDrafts, type DraftRefreshOptions } from './draft-refresher.ts';
export { planAccount, type AccountPlanOptions } from './account-state.ts';
export { refreshStaleHours, type StaleHoursOptions } from './stale-hours.ts';
export { loadFinalizedOfMonth, type FinalizedInvoice } from './invoice-table.ts';
export {
  finalizeGate,
  type FinalizeGate,
  type FinalizeGateOptions,
  type GateQuery,
  type GroupTopic,
} from './caught-up.ts';
export * as finalizeWatermark from './finalize-watermark.ts';
export { invoiceCsv, invoicesJson } from './invoice-export.ts';
