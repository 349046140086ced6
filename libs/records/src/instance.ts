import { z } from 'zod';
import { epochMillis, id } from './primitives.ts';

export const instanceState = z.enum(['running', 'stopped', 'terminated']);

/** Who owns a VM and what it is (topic inventory.instances, compacted, keyed by instance id). */
export const instance = z.object({
  instanceId: id,
  accountId: id,
  instanceType: id,
  zone: id,
  state: instanceState,
  createdAt: epochMillis,
  updatedAt: epochMillis,
});
export type Instance = z.infer<typeof instance>;
