import { Draw, mixSeed } from '@tally/agent';

/** What the soak does to the pipeline; each kind is carried out by the runner (`soak-faults.ts`). */
export const FAULT_KINDS = [
  'kill-metering',
  'kill-billing',
  'kill-agent',
  'broker-down',
  'db-refuse',
  'db-drop',
  'poison-garbage',
  'poison-invalid',
  'glitching-agent',
  'replay-billing',
] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

export interface Fault {
  /** Planned start, from the start of the fault window; the runner never starts a fault earlier. */
  readonly atMs: number;
  readonly kind: FaultKind;
  /** How long the fault lasts (broker down, PostgreSQL refusing); 0 for instant ones. */
  readonly durationMs: number;
  /** Records injected (poison, glitches); 0 where nothing is injected. */
  readonly count: number;
}

export interface ScheduleOptions {
  readonly seed: number;
  readonly minutes: number;
  /** Quiet start, so that data flows before the first fault; default 15 % of the window, at most 30 s. */
  readonly warmupMs?: number;
  /** Mean pause between the end of one fault and the start of the next. */
  readonly meanGapMs?: number;
}

/** What one fault is expected to cost beyond its duration (a broker's JVM starting, a replay's plan and restart). */
export const SETTLE_MS: Readonly<Record<FaultKind, number>> = {
  'kill-metering': 2_000,
  'kill-billing': 2_000,
  'kill-agent': 2_000,
  'broker-down': 40_000,
  'db-refuse': 2_000,
  'db-drop': 1_000,
  'poison-garbage': 500,
  'poison-invalid': 500,
  'glitching-agent': 500,
  'replay-billing': 15_000,
};

/** Relative frequencies after every kind has appeared once: cheap faults often, a broker outage rarely. */
const WEIGHTS: Readonly<Record<Exclude<FaultKind, 'replay-billing'>, number>> = {
  'kill-metering': 4,
  'kill-billing': 4,
  'kill-agent': 2,
  'broker-down': 1,
  'db-refuse': 3,
  'db-drop': 3,
  'poison-garbage': 2,
  'poison-invalid': 2,
  'glitching-agent': 2,
};

function weightedPick(draw: Draw): Exclude<FaultKind, 'replay-billing'> {
  const entries = Object.entries(WEIGHTS) as [Exclude<FaultKind, 'replay-billing'>, number][];
  let roll = draw.int(
    1,
    entries.reduce((sum, [, w]) => sum + w, 0),
  );
  for (const [kind, weight] of entries) {
    roll -= weight;
    if (roll <= 0) return kind;
  }
  return entries[0]![0];
}

function shaped(kind: FaultKind, draw: Draw): Pick<Fault, 'durationMs' | 'count'> {
  switch (kind) {
    // Past kafkajs' own send retries (~15 s) now and then, so that the agent's spool takes over.
    case 'broker-down':
      return { durationMs: draw.int(3, 20) * 1_000, count: 0 };
    case 'db-refuse':
      return { durationMs: draw.int(1, 6) * 1_000, count: 0 };
    case 'poison-garbage':
    case 'poison-invalid':
      return { durationMs: 0, count: draw.int(1, 5) };
    case 'glitching-agent':
      return { durationMs: 0, count: draw.int(5, 30) };
    default:
      return { durationMs: 0, count: 0 };
  }
}

/**
 * The soak's faults for a window of `minutes`, a pure function of the seed: the same seed gives the same faults
 * at the same planned times. Faults do not overlap (each starts after the previous one's duration and expected
 * settling); every kind appears once before any repeats (when the window is long enough), in a seeded order;
 * exactly one billing replay, near the middle of the window.
 *
 * @example
 * faultSchedule({ seed: 7, minutes: 3 });
 * // [{ atMs: 18000, kind: 'db-drop', durationMs: 0, count: 0 }, ..., { atMs: 91234, kind: 'replay-billing', ... }, ...]
 */
export function faultSchedule(options: ScheduleOptions): Fault[] {
  const windowMs = Math.round(options.minutes * 60_000);
  const warmupMs = options.warmupMs ?? Math.min(30_000, Math.round(windowMs * 0.15));
  const meanGapMs = options.meanGapMs ?? 8_000;
  const draw = new Draw(mixSeed(options.seed, 0x50a6));
  // A seeded shuffle of every kind but the replay: the first round covers them all.
  const firstRound = FAULT_KINDS.filter((k): k is Exclude<FaultKind, 'replay-billing'> => k !== 'replay-billing');
  for (let i = firstRound.length - 1; i > 0; i -= 1) {
    const j = draw.int(0, i);
    [firstRound[i], firstRound[j]] = [firstRound[j]!, firstRound[i]!];
  }
  const replayAt = Math.round(windowMs * (0.45 + draw.int(0, 100) / 1_000));
  const faults: Fault[] = [];
  let at = warmupMs;
  let replayed = false;
  for (;;) {
    const kind: FaultKind = !replayed && at >= replayAt ? 'replay-billing' : (firstRound.shift() ?? weightedPick(draw));
    const fault: Fault = { atMs: at, kind, ...shaped(kind, draw) };
    const end = at + fault.durationMs;
    if (end > windowMs) {
      // The replay must happen: squeeze it in at the last moment the window allows.
      if (!replayed)
        faults.push({
          atMs: Math.max(warmupMs, Math.min(at, windowMs)),
          kind: 'replay-billing',
          durationMs: 0,
          count: 0,
        });
      break;
    }
    faults.push(fault);
    if (kind === 'replay-billing') replayed = true;
    at = end + SETTLE_MS[kind] + draw.int(Math.round(meanGapMs / 2), Math.round((meanGapMs * 3) / 2));
  }
  return faults;
}

/** Faults per kind, for the report. */
export function countByKind(faults: readonly Pick<Fault, 'kind'>[]): Partial<Record<FaultKind, number>> {
  const counts: Partial<Record<FaultKind, number>> = {};
  for (const fault of faults) counts[fault.kind] = (counts[fault.kind] ?? 0) + 1;
  return counts;
}
