import { SAMPLE_WINDOW_MS, type TrafficSample } from '@tally/records';
import type { SimInstance } from './fleet.ts';
import { drawFor } from './seeded-random.ts';

/** Per-mille activity by UTC hour: quiet nights, a working-day plateau, an evening peak. */
const DAILY_RHYTHM = [
  250, 200, 180, 170, 180, 220, 320, 480, 650, 780, 850, 880, 900, 890, 870, 860, 880, 920, 980, 1000, 950, 780, 550,
  350,
] as const;

/** Windows per burst block (5 minutes): a burst lasts a whole block, so it spans consecutive samples. */
const BURST_BLOCK_WINDOWS = 10;
const BURST_CHANCE_PER_MILLION = 20_000;
const BURST_FACTOR = 20;
/** Secondary interfaces carry a quarter of the primary's traffic. */
const SECONDARY_SHARE_PER_MILLE = 250;

function formatMillis(millis: number): string {
  const whole = Math.floor(millis / 1000);
  const fraction = String(millis % 1000)
    .padStart(3, '0')
    .replace(/0+$/, '');
  return fraction === '' ? String(whole) : `${whole}.${fraction}`;
}

/**
 * The counters of one interface of one instance in one window. A pure function of the fleet seed, the
 * instance and the window, so any time slice can be generated on its own, in any order. Integer arithmetic only.
 *
 * @example
 * const sample = windowSample(fleet.seed, fleet.instances[0], 0, Date.UTC(2025, 0, 1, 12));
 */
export function windowSample(
  seed: number,
  instance: SimInstance,
  interfaceIndex: number,
  windowStart: number,
): TrafficSample {
  const windowIndex = windowStart / SAMPLE_WINDOW_MS;
  const hourOfDay = Math.floor((windowStart % 86_400_000) / 3_600_000);
  const rhythm = DAILY_RHYTHM[hourOfDay] ?? 1000;
  const burst = drawFor(seed, instance.index, Math.floor(windowIndex / BURST_BLOCK_WINDOWS), 0xb) //
    .chance(BURST_CHANCE_PER_MILLION);
  const draw = drawFor(seed, instance.index, windowIndex, interfaceIndex);
  const share = interfaceIndex === 0 ? 1000 : SECONDARY_SHARE_PER_MILLE;
  const jitter = draw.int(600, 1400);
  const perSecond = Math.floor((instance.baseBytesPerSecond * rhythm * share * jitter) / 1_000_000_000);
  const rxBytes = perSecond * 30 * (burst && instance.profile !== 'miner' ? BURST_FACTOR : 1);
  const txBytes = Math.floor((rxBytes * instance.txPerMille * draw.int(800, 1200)) / 1_000_000);
  const rxPackets = Math.ceil(rxBytes / draw.int(200, 1400));
  const txPackets = Math.ceil(txBytes / draw.int(200, 1400));

  let cpuMillis = 0;
  if (interfaceIndex === 0) {
    // A miner keeps every vCPU busy (99–100 %); others follow the day at a few per cent to 40 %.
    const utilisationPerMille =
      instance.profile === 'miner' ? draw.int(990, 1000) : Math.floor((draw.int(20, 400) * rhythm) / 1000);
    cpuMillis = Math.floor((instance.vcpus * SAMPLE_WINDOW_MS * utilisationPerMille) / 1000);
  }
  return {
    hypervisorId: instance.hypervisorId,
    instanceId: instance.record.instanceId,
    interfaceId: instance.interfaces[interfaceIndex] ?? `eth${interfaceIndex}`,
    windowStart,
    rxBytes,
    txBytes,
    rxPackets,
    txPackets,
    cpuSeconds: formatMillis(cpuMillis),
  };
}
