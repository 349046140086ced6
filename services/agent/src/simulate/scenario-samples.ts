import { HOUR_MS, SAMPLE_WINDOW_MS, type TrafficSample, type UsageHourly } from '@tally/records';
import type { Scenario } from './scenarios.ts';

const WINDOWS_PER_HOUR = HOUR_MS / SAMPLE_WINDOW_MS;

/** `total` split into `parts` integers that sum to it exactly: the first `total % parts` get one more. */
function share(total: number, parts: number, index: number): number {
  return Math.floor(total / parts) + (index < total % parts ? 1 : 0);
}

const millis = (cpuSeconds: string): number => {
  const [whole = '0', fraction = ''] = cpuSeconds.split('.');
  return Number(whole) * 1000 + Number(fraction.padEnd(3, '0').slice(0, 3));
};

/**
 * The traffic samples the agent on the scenario's hypervisor sends for its usage hours starting in [from, to):
 * each instance-hour split over its 120 windows of 30 s (one interface, `eth0`), so that summing them (what
 * metering does, or the agent's `groundTruth`) gives back exactly the scenario's usage.hourly. Lazy, in event-time
 * order: hour, instance, window.
 *
 * @example
 * for (const sample of scenarioSamples(month, month.from, month.from + 3_600_000)) producer.send(sample);
 */
export function* scenarioSamples(scenario: Scenario, from: number, to: number): Generator<TrafficSample> {
  for (const usage of scenario.usage) {
    if (usage.hourStart < from || usage.hourStart >= to) continue;
    yield* hourSamples(usage);
  }
}

function* hourSamples(usage: UsageHourly): Generator<TrafficSample> {
  const cpu = millis(usage.cpuSeconds);
  const windows = usage.runningSeconds / (SAMPLE_WINDOW_MS / 1000);
  for (let w = 0; w < windows && w < WINDOWS_PER_HOUR; w += 1) {
    const cpuMillis = share(cpu, windows, w);
    yield {
      hypervisorId: 'hv-scenario',
      instanceId: usage.instanceId,
      interfaceId: 'eth0',
      windowStart: usage.hourStart + w * SAMPLE_WINDOW_MS,
      rxBytes: share(usage.rxBytes, windows, w),
      txBytes: share(usage.txBytes, windows, w),
      rxPackets: share(usage.rxPackets, windows, w),
      txPackets: share(usage.txPackets, windows, w),
      cpuSeconds: seconds(cpuMillis),
    };
  }
}

/** Millis as decimal seconds without trailing zeros ("7150", "7150.5"), as metering and `groundTruth` write them. */
function seconds(millis: number): string {
  const fraction = String(millis % 1000)
    .padStart(3, '0')
    .replace(/0+$/, '');
  return fraction === '' ? String(Math.trunc(millis / 1000)) : `${Math.trunc(millis / 1000)}.${fraction}`;
}
