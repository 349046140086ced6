/** The account as the funnel addresses it: from the latest account record applied. */
export interface Profile {
  readonly name: string;
  readonly email: string;
  readonly freeCredit: string;
  readonly currency: string;
  readonly signedUpAt: number;
}

/**
 * One account's funnel, stored as JSON. Facts only grow (earliest instance, earliest conversion, latest usage,
 * latest version of each charged hour), so applying the same record twice (a replay) changes nothing; `decided`
 * holds every mail already decided (sent, or skipped because the account unsubscribed), so none is decided twice.
 */
export interface DripState {
  readonly accountId: string;
  readonly profile: Profile | null;
  /** Sticky: once an account record says unsubscribed, the funnel stops for good. */
  readonly unsubscribed: boolean;
  readonly firstInstanceAt: number | null;
  /** Earliest payment method added or invoice paid. */
  readonly convertedAt: number | null;
  /** Start of the latest billed hour with a charge above zero. */
  readonly lastUsageAt: number | null;
  /**
   * Charges per billed hour (hour start → latest version), summed for the credit thresholds. Kept only while a
   * credit decision is still open: dropped once they are all decided or the funnel stopped.
   */
  readonly charges: Readonly<Record<string, { readonly version: number; readonly total: string }>>;
  /** Decision ids (`template:trigger`), sorted. */
  readonly decided: readonly string[];
  /** Converted or unsubscribed: nothing more is sent. */
  readonly stopped: boolean;
}

export function initialState(accountId: string): DripState {
  return {
    accountId,
    profile: null,
    unsubscribed: false,
    firstInstanceAt: null,
    convertedAt: null,
    lastUsageAt: null,
    charges: {},
    decided: [],
    stopped: false,
  };
}
