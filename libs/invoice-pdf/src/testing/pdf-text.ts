import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/**
 * The text of a PDF as poppler's `pdftotext -layout` reads it (each table row on one line), pages separated by form
 * feeds. A missing pdftotext fails with how to install it: tests that need it must fail, not skip.
 *
 * @example
 * const text = await pdfText(await renderInvoicePdf(invoice, account, issuer)); // 'Invoice\n...'
 */
export async function pdfText(pdf: Uint8Array): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'tally-pdf-'));
  try {
    const file = join(dir, 'in.pdf');
    await writeFile(file, pdf);
    const { stdout } = await run('pdftotext', ['-layout', '-enc', 'UTF-8', file, '-'], { maxBuffer: 64 << 20 });
    return stdout;
  } catch (error) {
    if ((error as { code?: string }).code === 'ENOENT') {
      throw new Error('pdftotext not found: install poppler-utils (`.ci/system-tools` does, as root, on Debian)');
    }
    throw error;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Pages of pdfText's output (form feed separated; the empty tail after the last one dropped). */
export function pages(text: string): string[] {
  return text.split('\f').filter((page, i, all) => i < all.length - 1 || page.trim() !== '');
}
