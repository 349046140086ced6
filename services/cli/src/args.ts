import { parseArgs } from 'node:util';
import type { z } from 'zod';
import { UsageError } from './command.ts';

/**
 * Parses `--name value` options and positionals, then validates them with a zod schema; every problem becomes one
 * UsageError line.
 *
 * @example
 * parseCommandArgs(['--period', '2025-03'], { period: { type: 'string' } }, schema); // { period: '2025-03', positionals: [] }
 */
export function parseCommandArgs<S extends z.ZodType>(
  args: readonly string[],
  options: Record<string, { type: 'string' | 'boolean' }>,
  schema: S,
): z.infer<S> {
  let parsed;
  try {
    parsed = parseArgs({ args: [...args], options, allowPositionals: true, strict: true });
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
  const result = schema.safeParse({ ...parsed.values, positionals: parsed.positionals });
  if (!result.success) {
    throw new UsageError(
      result.error.issues.map((issue) => `${issue.path.join('.') || 'arguments'}: ${issue.message}`).join('\n'),
    );
  }
  return result.data;
}
