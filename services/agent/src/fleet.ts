import { SAMPLE_WINDOW_MS, type Account, type Instance } from '@tally/records';
import { drawFor } from './seeded-random.ts';

export interface Period {
  /** Inclusive, epoch ms. */
  readonly from: number;
  /** Exclusive, epoch ms. */
  readonly to: number;
}

export type InstanceProfile = 'normal' | 'heavy' | 'miner';

export interface InstanceType {
  readonly name: string;
  readonly vcpus: number;
}

export const INSTANCE_TYPES: readonly InstanceType[] = [
  { name: 's1.small', vcpus: 1 },
  { name: 's1.medium', vcpus: 2 },
  { name: 'g1.large', vcpus: 8 },
];

export const ZONES = ['ch-gva-2', 'ch-dk-2', 'de-fra-1'] as const;

/** One simulated VM: its inventory record plus what drives its traffic. */
export interface SimInstance {
  /** Position in the fleet; keys its random streams. */
  readonly index: number;
  readonly hypervisorId: string;
  readonly record: Instance;
  readonly vcpus: number;
  /** Interface ids; the first is primary and carries the CPU seconds. */
  readonly interfaces: readonly string[];
  readonly profile: InstanceProfile;
  /** Mean received bytes per second on the primary interface at the daily peak. */
  readonly baseBytesPerSecond: number;
  /** Transmitted per received byte, in per mille. */
  readonly txPerMille: number;
  /** When it runs: aligned half-open intervals [from, to). */
  readonly runs: readonly Period[];
}

export interface Fleet {
  readonly seed: number;
  readonly period: Period;
  readonly hypervisorIds: readonly string[];
  readonly accounts: readonly Account[];
  readonly instances: readonly SimInstance[];
}

export interface FleetOptions {
  readonly seed: number;
  readonly hypervisors: number;
  readonly instancesPerHypervisor: number;
  /** The period the fleet lives in: start/stop times fall inside it. */
  readonly period: Period;
  /** Defaults to one account per four instances, at least three. */
  readonly accounts?: number;
}

const TIME_ZONES = ['UTC', 'Europe/Zurich', 'America/New_York'] as const;
const FREE_TRIAL_CREDIT = '25.00';

function pad(n: number, width: number): string {
  return String(n).padStart(width, '0');
}

function align(t: number): number {
  return t - (t % SAMPLE_WINDOW_MS);
}

function buildAccounts(seed: number, count: number, createdAt: number): Account[] {
  return Array.from({ length: count }, (_, i) => {
    const draw = drawFor(seed, 0xacc, i);
    // Account 0 is the crypto-miner's trial account; about one in five others is a trial too.
    const trial = i === 0 || draw.chance(200_000);
    const accountId = `acc-${pad(i, 4)}`;
    return {
      accountId,
      name: trial ? `Trial customer ${i}` : `Customer ${i}`,
      email: `${accountId}@example.com`,
      plan: trial ? 'trial' : 'paying',
      freeCredit: trial ? FREE_TRIAL_CREDIT : '0',
      // One account bills in EUR; the rest in USD.
      currency: i === 1 ? 'EUR' : 'USD',
      timeZone: i === 1 ? 'Europe/Zurich' : (TIME_ZONES[i % TIME_ZONES.length] ?? 'UTC'),
      // Signed up on one of the 365 days before the period: any fleet size stays a valid (positive) time.
      createdAt: createdAt - ((i % 365) + 1) * 86_400_000,
      // A billing address for the invoice PDFs; trial accounts have none, as a sign-up form would leave it.
      address: trial
        ? null
        : {
            line1: `${i + 1} Example Street`,
            line2: '',
            city: 'Zurich',
            postalCode: `80${pad(i % 100, 2)}`,
            region: 'ZH',
            country: 'CH',
          },
      unsubscribed: i % 7 === 3,
    };
  });
}

function buildRuns(seed: number, index: number, period: Period, alwaysOn: boolean): Period[] {
  const draw = drawFor(seed, 0x6e7, index);
  const span = period.to - period.from;
  const at = (perMille: number): number => align(period.from + Math.floor((span * perMille) / 1000));
  const roll = alwaysOn ? 0 : draw.int(0, 99);
  if (roll < 70) return [{ from: align(period.from), to: period.to }];
  if (roll < 80) return [{ from: at(draw.int(1, 500)), to: period.to }];
  if (roll < 90) return [{ from: align(period.from), to: at(draw.int(500, 999)) }];
  const start = draw.int(1, 600);
  return [{ from: at(start), to: at(draw.int(start + 1, 1000)) }];
}

/**
 * A deterministic fleet: the same options give the same accounts, inventory and traffic drivers.
 * Instance 0 is a crypto miner on a trial account (CPU flat out); a few instances are heavy users.
 *
 * @example
 * const fleet = createFleet({ seed: 42, hypervisors: 10, instancesPerHypervisor: 20,
 *   period: { from: Date.UTC(2025, 0, 1), to: Date.UTC(2025, 0, 2) } });
 */
export function createFleet(options: FleetOptions): Fleet {
  const { seed, period } = options;
  if (!(period.from < period.to)) throw new RangeError('period.from must be before period.to');
  const total = options.hypervisors * options.instancesPerHypervisor;
  const accounts = buildAccounts(seed, options.accounts ?? Math.max(3, Math.ceil(total / 4)), period.from);
  const hypervisorIds = Array.from({ length: options.hypervisors }, (_, h) => `hv-${pad(h, 3)}`);
  const instances: SimInstance[] = [];
  for (let index = 0; index < total; index += 1) {
    const draw = drawFor(seed, 0x1ce, index);
    const miner = index === 0;
    const heavy = !miner && draw.chance(30_000);
    const type = miner ? (INSTANCE_TYPES[2] ?? INSTANCE_TYPES[0]!) : draw.pick(INSTANCE_TYPES);
    const account = miner ? accounts[0]! : (accounts[draw.int(1, accounts.length - 1)] ?? accounts[0]!);
    const runs = buildRuns(seed, index, period, miner);
    const first = runs[0] ?? period;
    const last = runs[runs.length - 1] ?? period;
    const stopped = last.to < period.to;
    const instanceId = `i-${pad(index, 6)}`;
    instances.push({
      index,
      hypervisorId: hypervisorIds[Math.floor(index / options.instancesPerHypervisor)] ?? 'hv-000',
      record: {
        instanceId,
        accountId: account.accountId,
        instanceType: type.name,
        zone: draw.pick(ZONES),
        state: stopped ? 'stopped' : 'running',
        createdAt: first.from,
        updatedAt: stopped ? last.to : first.from,
      },
      vcpus: type.vcpus,
      interfaces: draw.chance(300_000) ? ['eth0', 'eth1'] : ['eth0'],
      profile: miner ? 'miner' : heavy ? 'heavy' : 'normal',
      // Miners talk little (a pool connection); heavy users push tens of MB/s.
      baseBytesPerSecond: miner ? 2_000 : heavy ? draw.int(20_000_000, 80_000_000) : draw.int(5_000, 500_000),
      txPerMille: heavy ? draw.int(2_000, 5_000) : draw.int(200, 1_500),
      runs,
    });
  }
  return { seed, period, hypervisorIds, accounts, instances };
}

/** Whether the instance runs during the window starting at `windowStart`. */
export function isRunning(instance: SimInstance, windowStart: number): boolean {
  return instance.runs.some((run) => run.from <= windowStart && windowStart < run.to);
}
