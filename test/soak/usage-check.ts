import { Dec } from '@tally/money';

/** The totals of one instance-hour, as the simulator's ground truth and the pipeline's tables both state them. */
export interface HourUsage {
  readonly runningSeconds: number;
  readonly rxBytes: number;
  readonly txBytes: number;
  readonly rxPackets: number;
  readonly txPackets: number;
  readonly cpuSeconds: string;
}

export interface UsageCheck {
  /** Instance-hours missing, or with some total below the truth: samples were lost. */
  readonly lost: number;
  /** Instance-hours the truth does not have, or with some total above it: samples were counted twice. */
  readonly doubled: number;
  readonly compared: number;
  /** A few offending keys with both sides, for the log. */
  readonly examples: readonly string[];
}

const FIELDS = ['runningSeconds', 'rxBytes', 'txBytes', 'rxPackets', 'txPackets'] as const;

/** -1, 0 or 1: how `actual` compares with `expected` over every total (mixed signs count as lost: a total is short). */
function direction(expected: HourUsage, actual: HourUsage): -1 | 0 | 1 {
  const signs = FIELDS.map((f) => Math.sign(actual[f] - expected[f]));
  signs.push(new Dec(actual.cpuSeconds).comparedTo(new Dec(expected.cpuSeconds)));
  if (signs.includes(-1)) return -1;
  return signs.includes(1) ? 1 : 0;
}

/**
 * Compares a table's instance-hours with the ground truth, both keyed alike (`usageKey`). Every sample adds to its
 * hour's totals, so a lost sample shows as a total below the truth and a doubled one as a total above it.
 *
 * @example
 * checkUsage(new Map([['i|h', hour]]), new Map()); // { lost: 1, doubled: 0, compared: 1, examples: ['i|h missing'] }
 */
export function checkUsage(
  truth: ReadonlyMap<string, HourUsage>,
  actual: ReadonlyMap<string, HourUsage>,
  maxExamples = 5,
): UsageCheck {
  let lost = 0;
  let doubled = 0;
  const examples: string[] = [];
  const note = (text: string) => {
    if (examples.length < maxExamples) examples.push(text);
  };
  for (const [key, expected] of truth) {
    const got = actual.get(key);
    if (got === undefined) {
      lost += 1;
      note(`${key} missing`);
      continue;
    }
    const d = direction(expected, got);
    if (d === 0) continue;
    if (d < 0) lost += 1;
    else doubled += 1;
    note(`${key} ${d < 0 ? 'short' : 'over'}: want ${JSON.stringify(expected)} got ${JSON.stringify(got)}`);
  }
  for (const key of actual.keys()) {
    if (truth.has(key)) continue;
    doubled += 1;
    note(`${key} not in the truth`);
  }
  return { lost, doubled, compared: truth.size, examples };
}
