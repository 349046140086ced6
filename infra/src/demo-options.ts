import { parseArgs } from 'node:util';
import { z } from 'zod';

/** What `pnpm start` runs: the demo fleet's size and how many days of history it simulates. */
export const demoOptions = z.object({
  hypervisors: z.coerce.number().int().min(1).max(1_000).default(5),
  instancesPerHypervisor: z.coerce.number().int().min(1).max(1_000).default(10),
  days: z.coerce.number().int().min(1).max(62).default(2),
  seed: z.coerce.number().int().default(7),
  /** Only bring the stack up (Kafka, registry, PostgreSQL, topics, schemas, migrations). */
  stackOnly: z.boolean().default(false),
});
export type DemoOptions = z.infer<typeof demoOptions>;

export const demoUsage = `usage: pnpm start [--hypervisors N] [--instances-per-hypervisor N] [--days N] [--seed N] [--stack-only]`;

export function parseDemoOptions(argv: string[]): DemoOptions {
  const { values } = parseArgs({
    args: argv,
    options: {
      hypervisors: { type: 'string' },
      'instances-per-hypervisor': { type: 'string' },
      days: { type: 'string' },
      seed: { type: 'string' },
      'stack-only': { type: 'boolean' },
    },
    allowPositionals: false,
  });
  const parsed = demoOptions.safeParse({
    hypervisors: values.hypervisors,
    instancesPerHypervisor: values['instances-per-hypervisor'],
    days: values.days,
    seed: values.seed,
    stackOnly: values['stack-only'],
  });
  if (!parsed.success) {
    throw new Error(
      `${parsed.error.issues.map((issue) => `--${issue.path.join('.')}: ${issue.message}`).join('\n')}\n${demoUsage}`,
    );
  }
  return parsed.data;
}
