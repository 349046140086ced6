import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { z } from 'zod';

/** The funnel's delays and thresholds; every field has a documented default (policy.yaml states them all). */
export const dripPolicy = z
  .object({
    /** No instance this long after signup → "getting started". */
    gettingStartedAfterHours: z.number().int().positive().max(8_760).default(24),
    /** Percent of the free credit used that each send "credit-used" once; 100 also asks for a payment method. */
    creditThresholdsPercent: z
      .array(z.number().int().min(1).max(100))
      .min(1)
      .max(10)
      .default([50, 80, 100])
      .refine((values) => values.every((value, i) => i === 0 || value > values[i - 1]!), 'strictly increasing'),
    /** This long without usage (after some usage) → "we miss you". */
    missYouAfterDays: z.number().int().positive().max(3_650).default(30),
    /** Hours the watermark stays behind the latest billing hour (the hour in progress, late usage). */
    latenessHours: z.number().int().min(0).max(168).default(2),
  })
  .strict();
export type DripPolicy = z.infer<typeof dripPolicy>;

export const defaultPolicyFile = fileURLToPath(new URL('../../policy.yaml', import.meta.url));

/**
 * Reads and validates a policy file; the error names the file and every bad field.
 *
 * @example
 * loadPolicy('services/drip/policy.yaml').gettingStartedAfterHours; // 24
 */
export function loadPolicy(file: string = defaultPolicyFile): DripPolicy {
  const parsed = dripPolicy.safeParse(parse(readFileSync(file, 'utf8')) ?? {});
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `${issue.path.join('.') || '(file)'}: ${issue.message}`);
    throw new Error(`drip policy ${file} is invalid:\n  ${problems.join('\n  ')}`);
  }
  return parsed.data;
}
