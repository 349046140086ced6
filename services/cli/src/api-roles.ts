import { z } from 'zod';

/** Who may do what: finance reads invoices and exports, support reads usage and invoices, operators the pipeline. */
export const apiRoles = ['finance', 'support', 'operator', 'admin'] as const;
export const apiRole = z.enum(apiRoles);
export type ApiRole = z.infer<typeof apiRole>;

/** Every authenticated caller: routes open to any valid token (who am I). */
export const ANY_ROLE: readonly ApiRole[] = apiRoles;

/**
 * Whether a token's role may use a route. Routes list their roles; none is implied by another (an admin manages
 * tokens, it does not read invoices), so a leaked admin token does not expose billing data.
 *
 * @example
 * mayUse('support', ['finance', 'support']); // true
 * mayUse('admin', ['finance']); // false
 */
export function mayUse(role: ApiRole, allowed: readonly ApiRole[]): boolean {
  return allowed.includes(role);
}
