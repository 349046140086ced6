// What the operator commands compute, for other programs (the HTTP API's operator routes): the same reads, one place.
export { statusReport } from './status.ts';
export type {
  StatusReport,
  BillingBacklog,
  GroupStatus,
  PartitionStatus,
  OutboxStatus,
  TopicCount,
} from './status-report.ts';
export { readLateRecords, loadOwners, loadReplayed } from './late-topic.ts';
export { selectLate, summarizeLate, type LateFilter, type LateGroup, type LateRecord } from './late-summary.ts';
export { pgRedriveLedger } from './redrive-ledger.ts';
export { replayTargets, type ReplayTarget } from './replay-targets.ts';
export { cliKafka } from './kafka-client.ts';
