import { createFleet, prefixFleet, type Fleet } from '@tally/agent';

/** The month every wave simulates: past, so that billing on the real clock finalizes it at the end of the soak. */
export const SOAK_MONTH = '2025-02';
const MONTH_START = Date.UTC(2025, 1, 1);
/** Waves start on 2 February and end by 28 February 00:00 UTC: inside February in every zone the fleet uses. */
const FIRST_DAY = 1;
const LAST_DAY = 27;
const DAY_MS = 86_400_000;

/** The size of one wave's fleet. */
export interface FleetSize {
  readonly hypervisors: number;
  readonly instancesPerHypervisor: number;
  readonly accounts: number;
  /** Days of February one wave covers, 1 to 26. */
  readonly days: number;
}

/** One run of the agent simulator: its own fleet (own id prefix, own seed) over some days of February. */
export interface Wave {
  readonly index: number;
  readonly seed: number;
  readonly prefix: string;
  readonly from: number;
  readonly minutes: number;
}

/**
 * Data arrives in waves, one agent run after another, each a fleet of its own: the soak produces data for as long as
 * it lasts, and every wave's ground truth and invoices stand alone. Waves walk through February so that hours
 * across the month (and the account calendars of three time zones) are billed.
 *
 * @example
 * waveOf('s1a2b', 7, 0, size).from; // Date.UTC(2025, 1, 2)
 */
export function waveOf(run: string, seed: number, index: number, size: FleetSize): Wave {
  const days = Math.min(Math.max(1, size.days), LAST_DAY - FIRST_DAY);
  const slots = LAST_DAY - FIRST_DAY - days + 1;
  const day = FIRST_DAY + ((index * days) % slots);
  return {
    index,
    seed: seed * 1_000 + index,
    prefix: `${run}-w${index}-`,
    from: MONTH_START + day * DAY_MS,
    minutes: days * 24 * 60,
  };
}

/** The wave's fleet, exactly as the agent process builds it from the same settings. */
export function waveFleet(wave: Wave, size: FleetSize): Fleet {
  return prefixFleet(
    createFleet({
      seed: wave.seed,
      hypervisors: size.hypervisors,
      instancesPerHypervisor: size.instancesPerHypervisor,
      period: { from: wave.from, to: wave.from + wave.minutes * 60_000 },
      accounts: size.accounts,
    }),
    wave.prefix,
  );
}
