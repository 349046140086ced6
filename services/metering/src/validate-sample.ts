import { HOUR_MS, SAMPLE_WINDOW_MS, type TrafficSample } from '@tally/records';
import { compareDecimals } from './decimal-sum.ts';
import { hourStartOf, isAlignedWindow } from './hour-slots.ts';

/** Bytes a 100 Gbit/s link carries in one 30 s window: 100e9 / 8 × 30. */
export const MAX_BYTES_PER_WINDOW_100G = 375_000_000_000;
/** Packets of that link at minimum-size 64-byte frames in 30 s: a looser bound than line rate with preamble. */
export const MAX_PACKETS_PER_WINDOW_100G = MAX_BYTES_PER_WINDOW_100G / 64;
/** 30 s of 256 vCPUs flat out, far above any instance type we sell. */
export const MAX_CPU_SECONDS_PER_WINDOW = 30 * 256;

export interface ValidationConfig {
  /** How far past `now` a window may end (agent clocks drift); further is a bad clock or a bad record. */
  readonly maxFutureSkewMs: number;
  /** How long after its end an instance-hour still accepts samples (invariant 4). */
  readonly retentionMs: number;
  /** When given, samples for any other interface id are rejected. */
  readonly interfaces?: ReadonlySet<string>;
  readonly maxBytesPerWindow?: number;
  readonly maxPacketsPerWindow?: number;
  readonly maxCpuSecondsPerWindow?: number;
}

export type SampleVerdict =
  | { readonly kind: 'valid' }
  /** Goes to the dead-letter topic: it can never be counted as it is. */
  | { readonly kind: 'invalid'; readonly reason: string }
  /** Goes to the late-data topic: well-formed, but its instance-hour is closed. Operators may replay it. */
  | { readonly kind: 'late'; readonly reason: string };

const VALID: SampleVerdict = { kind: 'valid' };

/**
 * Classifies a decoded sample at time `now`. Checks that make the sample impossible come first, so a record
 * that is both absurd and old is a dead letter, not late data.
 *
 * @example
 * classifySample(sample, Date.now(), { maxFutureSkewMs: 60_000, retentionMs: 7 * 86_400_000 });
 * // { kind: 'valid' } | { kind: 'invalid', reason } | { kind: 'late', reason }
 */
export function classifySample(sample: TrafficSample, now: number, config: ValidationConfig): SampleVerdict {
  if (!isAlignedWindow(sample.windowStart)) {
    return { kind: 'invalid', reason: `window start ${sample.windowStart} is not aligned to ${SAMPLE_WINDOW_MS} ms` };
  }
  const windowEnd = sample.windowStart + SAMPLE_WINDOW_MS;
  if (windowEnd > now + config.maxFutureSkewMs) {
    return {
      kind: 'invalid',
      reason: `window ends ${windowEnd - now} ms in the future (max skew ${config.maxFutureSkewMs} ms)`,
    };
  }
  if (config.interfaces !== undefined && !config.interfaces.has(sample.interfaceId)) {
    return { kind: 'invalid', reason: `unknown interface ${JSON.stringify(sample.interfaceId)}` };
  }
  const counters = [
    ['rxBytes', sample.rxBytes, config.maxBytesPerWindow ?? MAX_BYTES_PER_WINDOW_100G],
    ['txBytes', sample.txBytes, config.maxBytesPerWindow ?? MAX_BYTES_PER_WINDOW_100G],
    ['rxPackets', sample.rxPackets, config.maxPacketsPerWindow ?? MAX_PACKETS_PER_WINDOW_100G],
    ['txPackets', sample.txPackets, config.maxPacketsPerWindow ?? MAX_PACKETS_PER_WINDOW_100G],
  ] as const;
  for (const [name, value, max] of counters) {
    // zod already guarantees non-negative safe integers; this guards callers that skipped decoding.
    if (!Number.isSafeInteger(value) || value < 0)
      return { kind: 'invalid', reason: `${name} is not a count: ${value}` };
    if (value > max) return { kind: 'invalid', reason: `${name} ${value} exceeds ${max} per window` };
  }
  const maxCpu = config.maxCpuSecondsPerWindow ?? MAX_CPU_SECONDS_PER_WINDOW;
  if (compareDecimals(sample.cpuSeconds, String(maxCpu)) > 0) {
    return { kind: 'invalid', reason: `cpuSeconds ${sample.cpuSeconds} exceeds ${maxCpu} per window` };
  }
  const closesAt = hourStartOf(sample.windowStart) + HOUR_MS + config.retentionMs;
  if (closesAt < now) {
    return {
      kind: 'late',
      reason: `instance-hour ${new Date(hourStartOf(sample.windowStart)).toISOString()} closed ${now - closesAt} ms ago`,
    };
  }
  return VALID;
}
