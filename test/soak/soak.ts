/**
 * `./pnpm soak --minutes N [--seed S] [--hypervisors H] [--instances-per-hypervisor I] [--days D] [--keep]`
 *
 * The chaos soak: the whole pipeline on a simulated fleet and a broker of its own, under a seeded fault schedule
 * (`fault-schedule.ts`); at the end one JSON line on stdout (progress on stderr), exit 1 when anything was lost,
 * doubled, stalled or differs from the oracle, 130 when stopped by SIGINT/SIGTERM (everything it started is stopped).
 */
import { parseArgs } from 'node:util';
import { loadStackConfig, stackUp } from '@tally/infra';
import { createLogger } from '@tally/log';
import { runSoak } from './soak-run.ts';

const USAGE =
  'usage: pnpm soak --minutes N [--seed S] [--hypervisors 2] [--instances-per-hypervisor 4] [--accounts 3] ' +
  '[--days 3] [--keep]';

/** A whole number (or, for minutes, a positive number) within bounds, else a usage error naming the option. */
function numberOption(values: Record<string, unknown>, name: string, fallback: number | undefined, max: number) {
  const text = values[name];
  const value = typeof text === 'string' ? Number(text) : fallback;
  const whole = name !== 'minutes';
  if (
    value === undefined ||
    !Number.isFinite(value) ||
    value <= 0 ||
    value > max ||
    (whole && !Number.isInteger(value))
  ) {
    process.stderr.write(`${USAGE}\n--${name} must be ${whole ? 'a whole number' : 'a number'} in (0, ${max}]\n`);
    process.exit(2);
  }
  return value;
}

const { values } = parseArgs({
  options: {
    minutes: { type: 'string' },
    seed: { type: 'string' },
    hypervisors: { type: 'string' },
    'instances-per-hypervisor': { type: 'string' },
    accounts: { type: 'string' },
    days: { type: 'string' },
    keep: { type: 'boolean' },
  },
});
const args = {
  minutes: numberOption(values, 'minutes', undefined, 24 * 60),
  seed: numberOption(values, 'seed', 1, 2 ** 31),
  hypervisors: numberOption(values, 'hypervisors', 2, 1_000),
  instancesPerHypervisor: numberOption(values, 'instances-per-hypervisor', 4, 1_000),
  accounts: numberOption(values, 'accounts', 3, 10_000),
  days: numberOption(values, 'days', 3, 26),
  keep: values.keep ?? false,
};

// Logs to stderr: stdout carries the one JSON line.
const log = createLogger('soak', process.env['LOG_LEVEL'] ?? 'error', process.stderr);
const say = (line: string) => process.stderr.write(`${line}\n`);
const abort = new AbortController();
for (const name of ['SIGINT', 'SIGTERM'] as const) {
  process.once(name, () => {
    say(`soak: ${name}, stopping everything it started`);
    abort.abort();
  });
}

const endpoints = await stackUp(loadStackConfig(), log);
const report = await runSoak(
  {
    minutes: args.minutes,
    seed: args.seed,
    size: {
      hypervisors: args.hypervisors,
      instancesPerHypervisor: args.instancesPerHypervisor,
      accounts: args.accounts,
      days: args.days,
    },
    keep: args.keep,
  },
  endpoints,
  log,
  abort.signal,
  say,
);
for (const problem of report.problems) say(`problem: ${problem}`);
process.stdout.write(`${JSON.stringify(report)}\n`);
process.exit(report.aborted ? 130 : report.ok ? 0 : 1);
