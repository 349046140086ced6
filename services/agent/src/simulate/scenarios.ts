import {
  HOUR_MS,
  type Account,
  type BillingHourly,
  type Instance,
  type Invoice,
  type Payment,
  type UsageHourly,
} from '@tally/records';
import { drawFor, type Draw } from '../seeded-random.ts';

/**
 * Who an account is in the month: what it does decides what abuse and drip must do about it.
 *
 * - `miner`: signs up on free credit and runs a g1.large flat out (CPU near its 8 vCPUs) for a few hours.
 * - `heavy`: a paying customer of long standing with a g1.large just as busy all month, paying on time.
 * - `late-payer`: a paying customer whose June invoice fails; it pays days after its suspension.
 * - `converter`: signs up, uses about half its free credit, then adds a payment method.
 * - `burner`: signs up and uses all its free credit without ever adding a payment method.
 * - `late-starter`: signs up and starts its first instance only after a day or more.
 * - `never-started`: signs up and never starts anything.
 * - `unsubscribed`: signs up having opted out of marketing mails, and uses its credit.
 * - `leaver`: a trial of last month whose instance stops in the first hours of the month, then silence.
 */
export type Persona =
  | 'miner'
  | 'heavy'
  | 'late-payer'
  | 'converter'
  | 'burner'
  | 'late-starter'
  | 'never-started'
  | 'unsubscribed'
  | 'leaver';

/** A VM of the scenario: its inventory record, its vCPUs and the whole hours it runs. */
export interface ScenarioInstance {
  readonly record: Instance;
  readonly vcpus: number;
  /** Hours it runs, as epoch hours [fromHour, toHour). */
  readonly fromHour: number;
  readonly toHour: number;
  /** CPU utilisation in per mille of its vCPUs, drawn per hour within [min, max]. */
  readonly cpuPerMille: readonly [number, number];
}

export interface ScenarioAccount {
  readonly account: Account;
  readonly persona: Persona;
}

/** Hours (epoch hours) at which the scenario's story turns, for the assertions of a test. */
export interface ScenarioMoments {
  /** The miner's first hour of use. */
  readonly minerStartHour: number;
  /** The late payer's invoice due date, and when it finally pays. */
  readonly lateDueAt: number;
  readonly latePaidAt: number;
  readonly lateInvoiceNumber: string;
}

/**
 * A month of a small cloud's customers, deterministic from a seed: accounts with their signups, inventory, the usage
 * of every instance-hour (what metering would publish to usage.hourly), the hourly charges (what billing would
 * publish to billing.hourly), last month's finalized invoices and the payments. Records are in event-time order.
 */
export interface Scenario {
  readonly seed: number;
  /** The month: [from, to), whole hours. */
  readonly from: number;
  readonly to: number;
  readonly accounts: readonly ScenarioAccount[];
  readonly instances: readonly ScenarioInstance[];
  readonly usage: readonly UsageHourly[];
  readonly charges: readonly BillingHourly[];
  readonly invoices: readonly Invoice[];
  readonly payments: readonly Payment[];
  readonly moments: ScenarioMoments;
}

export interface ScenarioOptions {
  readonly seed: number;
  /** The first hour of the month (UTC). */
  readonly from: number;
  /** Days in the month (31 by default). */
  readonly days?: number;
  /** Prepended to every account, instance, payment and invoice id, so runs on shared topics never collide. */
  readonly prefix?: string;
}

/** Price per running hour in cents, by instance type; the scenario's own price book (whole hours, whole cents). */
export const SCENARIO_PRICES_CENTS: Readonly<Record<string, number>> = {
  's1.small': 2,
  's1.medium': 4,
  'g1.large': 40,
};
const VCPUS: Readonly<Record<string, number>> = { 's1.small': 1, 's1.medium': 2, 'g1.large': 8 };
export const SCENARIO_FREE_CREDIT = '25.00';
const DAY_HOURS = 24;
/** CPU near the vCPU count (abuse's hot threshold is 0.9) and an everyday load. */
const FLAT_OUT: readonly [number, number] = [990, 1000];
const BUSY: readonly [number, number] = [920, 970];
const EVERYDAY: readonly [number, number] = [20, 400];

const cents = (amount: number): string => `${Math.trunc(amount / 100)}.${String(amount % 100).padStart(2, '0')}`;

/**
 * The scenario for a seed. Ids are `<prefix><persona>-<n>` (accounts), `<account>-vm<n>` (instances).
 *
 * @example
 * const month = scenario({ seed: 7, from: Date.UTC(2026, 6, 1), prefix: 'run1-' });
 * month.accounts.find((a) => a.persona === 'miner')?.account.plan; // 'trial'
 */
export function scenario(options: ScenarioOptions): Scenario {
  const { seed, from } = options;
  if (from % HOUR_MS !== 0) throw new RangeError('from must be a whole hour');
  const prefix = options.prefix ?? '';
  const first = from / HOUR_MS;
  const last = first + (options.days ?? 31) * DAY_HOURS; // exclusive
  const accounts: ScenarioAccount[] = [];
  const instances: ScenarioInstance[] = [];
  const payments: Payment[] = [];
  const invoices: Invoice[] = [];
  const counts = new Map<Persona, number>();

  const signup = (persona: Persona, draw: Draw, at: number, overrides: Partial<Account> = {}): Account => {
    const n = counts.get(persona) ?? 0;
    counts.set(persona, n + 1);
    const accountId = `${prefix}${persona}-${n}`;
    const trial = overrides.plan !== 'paying';
    const account: Account = {
      accountId,
      name: `${persona} ${n}`,
      email: `${accountId}@example.com`,
      plan: trial ? 'trial' : 'paying',
      freeCredit: trial ? SCENARIO_FREE_CREDIT : '0',
      currency: 'USD',
      timeZone: 'UTC',
      createdAt: at + draw.int(0, 59) * 60_000,
      address: null,
      unsubscribed: false,
      ...overrides,
    };
    accounts.push({ account, persona });
    return account;
  };
  const vm = (
    owner: Account,
    type: string,
    fromHour: number,
    toHour: number,
    cpuPerMille: readonly [number, number],
  ): void => {
    const stopped = toHour < last;
    const createdAt = fromHour * HOUR_MS;
    instances.push({
      record: {
        instanceId: `${owner.accountId}-vm${instances.filter((i) => i.record.accountId === owner.accountId).length}`,
        accountId: owner.accountId,
        instanceType: type,
        zone: 'ch-gva-2',
        state: stopped ? 'stopped' : 'running',
        createdAt,
        updatedAt: stopped ? toHour * HOUR_MS : createdAt,
      },
      vcpus: VCPUS[type] ?? 1,
      fromHour,
      toHour,
      cpuPerMille,
    });
  };
  const pay = (account: Account, kind: Payment['kind'], at: number, invoice?: Invoice): void => {
    payments.push({
      paymentId: `${account.accountId}-pay${payments.filter((p) => p.accountId === account.accountId).length}`,
      accountId: account.accountId,
      kind,
      invoiceNumber: invoice?.number ?? null,
      amount: kind === 'payment_method_added' ? null : (invoice?.total ?? null),
      at,
    });
  };
  /** Last month's finalized invoice, 6 hours into this month, due 14 days later. */
  const juneInvoice = (account: Account, totalCents: number): Invoice => {
    const finalizedAt = from + 6 * HOUR_MS;
    const invoice: Invoice = {
      accountId: account.accountId,
      month: new Date(from - HOUR_MS).toISOString().slice(0, 7),
      currency: account.currency,
      kind: 'regular',
      issuer: 'tally',
      number: `INV-${account.accountId}-1`,
      lines: [{ kind: 'usage', sku: 'compute', quantity: '720', amount: cents(totalCents) }],
      subtotal: cents(totalCents),
      creditApplied: '0.00',
      total: cents(totalCents),
      finalizedAt,
      dueAt: finalizedAt + 14 * DAY_HOURS * HOUR_MS,
      contentHash: `sha256:scenario-${account.accountId}`,
      version: 1,
    };
    invoices.push(invoice);
    return invoice;
  };
  /** An old paying customer: instance an hour after signup, card two hours later (so `welcome` precedes `thanks`). */
  const established = (persona: Persona, draw: Draw, daysAgo: number): Account => {
    const account = signup(persona, draw, (first - daysAgo * DAY_HOURS) * HOUR_MS, { plan: 'paying' });
    pay(account, 'payment_method_added', account.createdAt + 3 * HOUR_MS);
    return account;
  };
  const hourOf = (at: number) => Math.floor(at / HOUR_MS);

  // The miner: signs up in the first days, starts 1–3 hours later, runs flat out for 8 hours (then it is stopped).
  const minerDraw = drawFor(seed, 0x5ce, 0);
  const miner = signup('miner', minerDraw, (first + minerDraw.int(24, 120)) * HOUR_MS);
  const minerStartHour = hourOf(miner.createdAt) + minerDraw.int(1, 3);
  vm(miner, 'g1.large', minerStartHour, minerStartHour + 8, FLAT_OUT);

  // The heavy paying customer: a year and more with us, CPU near full all month, June paid two days after issue.
  const heavyDraw = drawFor(seed, 0x5ce, 1);
  const heavy = established('heavy', heavyDraw, 400);
  vm(heavy, 'g1.large', hourOf(heavy.createdAt) + 1, last, BUSY);
  const heavyInvoice = juneInvoice(heavy, heavyDraw.int(20_000, 30_000));
  pay(heavy, 'invoice_paid', heavyInvoice.finalizedAt + 2 * DAY_HOURS * HOUR_MS, heavyInvoice);

  // The late payer: its June invoice fails on the due date; it pays 1–4 days after the suspension (due + 7 days).
  const lateDraw = drawFor(seed, 0x5ce, 2);
  const late = established('late-payer', lateDraw, 200);
  vm(late, 's1.small', hourOf(late.createdAt) + 1, last, EVERYDAY);
  const lateInvoice = juneInvoice(late, lateDraw.int(1_000, 2_000));
  pay(late, 'payment_failed', lateInvoice.dueAt + 60_000, lateInvoice);
  const latePaidAt = lateInvoice.dueAt + (7 + lateDraw.int(1, 4)) * DAY_HOURS * HOUR_MS + lateDraw.int(1, 59) * 60_000;
  pay(late, 'invoice_paid', latePaidAt, lateInvoice);

  // The leaver: a trial from 10–20 days before the month, its instance stops within the first 10 hours of the
  // month and a month of silence follows (unconverted, so the funnel still runs: miss-you).
  const leaverDraw = drawFor(seed, 0x5ce, 3);
  const leaver = signup('leaver', leaverDraw, (first - leaverDraw.int(10, 20) * DAY_HOURS) * HOUR_MS);
  vm(leaver, 's1.medium', hourOf(leaver.createdAt) + 1, first + leaverDraw.int(2, 10), EVERYDAY);

  // Converters (one or two): a g1.large from 1–5 hours after signup; a card after 36–46 hours of use, between
  // the 50 % (32 hours) and the 80 % (50 hours) marks of their credit.
  const converters = drawFor(seed, 0x5ce, 4).int(1, 2);
  for (let i = 0; i < converters; i += 1) {
    const draw = drawFor(seed, 0x5cf, i);
    const account = signup('converter', draw, (first + draw.int(24, 300)) * HOUR_MS);
    const start = hourOf(account.createdAt) + draw.int(1, 5);
    vm(account, 'g1.large', start, last, EVERYDAY);
    pay(account, 'payment_method_added', (start + draw.int(36, 46)) * HOUR_MS + draw.int(1, 59) * 60_000);
  }

  // The burner: a g1.large for 70–90 hours (the credit is gone after 63), no card.
  const burnerDraw = drawFor(seed, 0x5ce, 5);
  const burner = signup('burner', burnerDraw, (first + burnerDraw.int(24, 200)) * HOUR_MS);
  const burnStart = hourOf(burner.createdAt) + burnerDraw.int(1, 5);
  vm(burner, 'g1.large', burnStart, burnStart + burnerDraw.int(70, 90), EVERYDAY);

  // The late starter: its first (small) instance 30–40 hours after signup, for 100–200 hours.
  const starterDraw = drawFor(seed, 0x5ce, 6);
  const starter = signup('late-starter', starterDraw, (first + starterDraw.int(24, 400)) * HOUR_MS);
  const starterStart = hourOf(starter.createdAt) + starterDraw.int(30, 40);
  vm(starter, 's1.small', starterStart, starterStart + starterDraw.int(100, 200), EVERYDAY);

  // Never started: signs up at least two days before the month ends.
  const neverDraw = drawFor(seed, 0x5ce, 7);
  signup('never-started', neverDraw, (first + neverDraw.int(24, last - first - 48)) * HOUR_MS);

  // Unsubscribed: an s1.medium to the end of the month, its credit used up; no marketing mail may reach it.
  const unsubDraw = drawFor(seed, 0x5ce, 8);
  const unsub = signup('unsubscribed', unsubDraw, (first + unsubDraw.int(24, 100)) * HOUR_MS, { unsubscribed: true });
  vm(unsub, 's1.medium', hourOf(unsub.createdAt) + 1, last, EVERYDAY);

  const usage = hourlyUsage(seed, instances, first, last);
  return {
    seed,
    from,
    to: last * HOUR_MS,
    accounts: accounts.sort((a, b) => a.account.createdAt - b.account.createdAt),
    instances,
    usage,
    charges: hourlyCharges(accounts, usage),
    invoices,
    payments: payments.sort((a, b) => a.at - b.at),
    moments: {
      minerStartHour,
      lateDueAt: lateInvoice.dueAt,
      latePaidAt,
      lateInvoiceNumber: lateInvoice.number,
    },
  };
}

/** Each running instance-hour of the month: whole hours, CPU seconds = vCPUs × 3,600 × the hour's utilisation. */
function hourlyUsage(seed: number, instances: readonly ScenarioInstance[], first: number, last: number): UsageHourly[] {
  const usage: UsageHourly[] = [];
  for (let hour = first; hour < last; hour += 1) {
    instances.forEach((instance, index) => {
      if (hour < instance.fromHour || hour >= instance.toHour) return;
      const draw = drawFor(seed, 0x05a, index, hour);
      const perMille = draw.int(instance.cpuPerMille[0], instance.cpuPerMille[1]);
      const cpuMillis = instance.vcpus * 3_600 * perMille;
      const rxBytes = draw.int(1_000_000, 50_000_000);
      const txBytes = draw.int(1_000_000, 50_000_000);
      usage.push({
        instanceId: instance.record.instanceId,
        accountId: instance.record.accountId,
        instanceType: instance.record.instanceType,
        hourStart: hour * HOUR_MS,
        runningSeconds: 3_600,
        rxBytes,
        txBytes,
        rxPackets: Math.ceil(rxBytes / 1_000),
        txPackets: Math.ceil(txBytes / 1_000),
        cpuSeconds: seconds(cpuMillis),
        counted: [],
        version: 120,
      });
    });
  }
  return usage;
}

/** billing.hourly per account-hour with usage: one line per instance type, month-to-date over the scenario's hours. */
function hourlyCharges(accounts: readonly ScenarioAccount[], usage: readonly UsageHourly[]): BillingHourly[] {
  const currency = new Map(accounts.map((a) => [a.account.accountId, a.account.currency]));
  const byAccountHour = new Map<string, { accountId: string; hourStart: number; types: Map<string, number> }>();
  for (const u of usage) {
    const key = `${u.accountId}|${u.hourStart}`;
    let entry = byAccountHour.get(key);
    if (entry === undefined) {
      entry = { accountId: u.accountId, hourStart: u.hourStart, types: new Map() };
      byAccountHour.set(key, entry);
    }
    entry.types.set(u.instanceType, (entry.types.get(u.instanceType) ?? 0) + 1);
  }
  const monthToDate = new Map<string, number>();
  const charges: BillingHourly[] = [];
  for (const entry of [...byAccountHour.values()].sort(
    (a, b) => a.hourStart - b.hourStart || (a.accountId < b.accountId ? -1 : 1),
  )) {
    const lines = [...entry.types]
      .sort(([a], [b]) => (a < b ? -1 : 1))
      .map(([type, count]) => ({
        sku: `compute.${type}`,
        quantity: String(count * 3_600),
        amount: cents(count * (SCENARIO_PRICES_CENTS[type] ?? 0)),
      }));
    const total = [...entry.types].reduce((sum, [type, count]) => sum + count * (SCENARIO_PRICES_CENTS[type] ?? 0), 0);
    const mtd = (monthToDate.get(entry.accountId) ?? 0) + total;
    monthToDate.set(entry.accountId, mtd);
    charges.push({
      accountId: entry.accountId,
      hourStart: entry.hourStart,
      currency: currency.get(entry.accountId) ?? 'USD',
      lines,
      hourTotal: cents(total),
      monthToDate: cents(mtd),
      version: 1,
    });
  }
  return charges;
}

/** Millis as decimal seconds without trailing zeros ("7150", "7150.5"), as metering and `groundTruth` write them. */
function seconds(millis: number): string {
  const fraction = String(millis % 1000)
    .padStart(3, '0')
    .replace(/0+$/, '');
  return fraction === '' ? String(Math.trunc(millis / 1000)) : `${Math.trunc(millis / 1000)}.${fraction}`;
}
