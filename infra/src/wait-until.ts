import { setTimeout as sleep } from 'node:timers/promises';

/** Polls `probe` until it resolves true; on timeout the error says what did not come up and where to look. */
export async function waitUntil(
  what: string,
  probe: () => Promise<boolean>,
  timeoutMs: number,
  hint: string,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastError = '';
  while (Date.now() < deadline) {
    try {
      if (await probe()) return;
    } catch (error) {
      lastError = error instanceof Error ? error.message : String(error);
    }
    await sleep(500);
  }
  throw new Error(
    `${what} did not become ready within ${timeoutMs} ms${lastError ? ` (last error: ${lastError})` : ''}; ${hint}`,
  );
}
