import { z } from 'zod';
import { count, epochMillis, id, nonNegativeDecimalString } from './primitives.ts';

/** Length of one agent measurement window. Samples are aligned to it. */
export const SAMPLE_WINDOW_MS = 30_000;

/** One 30 s window of one VM interface, as a hypervisor agent measured it (topic traffic.samples). */
export const trafficSample = z.object({
  hypervisorId: id,
  instanceId: id,
  interfaceId: id,
  windowStart: epochMillis,
  rxBytes: count,
  txBytes: count,
  rxPackets: count,
  txPackets: count,
  /** CPU seconds the VM used in the window; reported once per VM, on its primary interface, "0" elsewhere. */
  cpuSeconds: nonNegativeDecimalString,
});
export type TrafficSample = z.infer<typeof trafficSample>;

/** Identity of a sample: duplicates share it (invariant 1). */
export function sampleIdentity(sample: Pick<TrafficSample, 'instanceId' | 'interfaceId' | 'windowStart'>): string {
  return `${sample.instanceId}|${sample.interfaceId}|${sample.windowStart}`;
}
