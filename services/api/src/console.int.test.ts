/**
 * The console in a real browser (Debian's chromium, headless, driven by playwright-core) against the API on a
 * PostgreSQL schema of its own: a support token signs in, finds an account, reads its usage chart (the totals it
 * shows are the API's for the same range), opens an invoice, follows its first line to the hours it bills and one
 * hour to its 30 s windows, and downloads the PDF; a support token never sees the operators' page. Each page is saved
 * as a screenshot in `.cache/console-screenshots/` (repository root) for a person to look at.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createToken } from '@tally/cli/tokens';
import { connectionEnv, loadConfig } from '@tally/config';
import { createTestDatabase, type TestDatabase } from '@tally/db';
import { createLogger } from '@tally/log';
import type { FastifyInstance } from 'fastify';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from './app.ts';
import { CONSOLE_DIR } from './console-static.ts';
import { testApiDeps, unreachableOps } from './test-app.ts';
import { insertAccounts, insertFinalized, insertUsage, testAccount, testInvoice, usageRows } from './test-seed.ts';

const CHROMIUM = '/usr/bin/chromium';
const SCREENSHOTS = fileURLToPath(new URL('../../../.cache/console-screenshots/', import.meta.url));
const endpoints = loadConfig(connectionEnv);
const START = Date.parse('2026-10-30T20:00:00Z');
const NUMBER = 'INV-2026-000001';

let db: TestDatabase;
let app: FastifyInstance;
let base: string;
let browser: Browser;
let support: string;
/** What went wrong in the page: uncaught errors, console errors, failed or refused requests. */
const problems: string[] = [];

beforeAll(async () => {
  if (!existsSync(CHROMIUM))
    throw new Error(`${CHROMIUM} is missing: run .ci/system-tools (apt-get install chromium poppler-utils)`);
  mkdirSync(SCREENSHOTS, { recursive: true });
  db = await createTestDatabase(endpoints.DATABASE_URL);
  await insertAccounts(db.pool, [testAccount(), testAccount({ accountId: 'acct-b', name: 'Beta GmbH' })]);
  await insertUsage(db.pool, [...usageRows('acct-a', 4, START, 30, 1), ...usageRows('acct-b', 2, START, 30, 2)]);
  await insertFinalized(db.pool, testInvoice('acct-a', '2026-10', 'CHF', ['120.40', '3.15']), NUMBER);
  support = (await createToken(db.pool, 'console-support', 'support')).token;
  ({ app } = await buildApp(
    testApiDeps(db, createLogger('console-test', 'warn'), {
      // The operators' page is not part of this test (ops.int.test.ts covers its source); it must not even be asked for.
      ops: unreachableOps('a support token reached the operators’ status'),
      consoleDir: CONSOLE_DIR,
    }),
  ));
  base = await app.listen({ host: '127.0.0.1', port: 0 });
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await app?.close();
  await db?.drop();
});

async function freshPage(): Promise<Page> {
  problems.length = 0;
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, acceptDownloads: true });
  const page = await context.newPage();
  page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
  page.on('console', (message) => {
    if (message.type() === 'error') problems.push(`console error: ${message.text()}`);
  });
  page.on('requestfailed', (request) =>
    problems.push(`request failed: ${request.url()} ${request.failure()?.errorText}`),
  );
  page.on('response', (response) => {
    if (response.status() >= 400) problems.push(`${response.status()} for ${response.url()}`);
  });
  return page;
}

/** Waits until the console says the page for `hash` is complete (`#page[data-ready]`), then saves a screenshot. */
async function ready(page: Page, hash: string, shot: string): Promise<void> {
  await page.locator(`#page[data-ready="${hash}"]`).waitFor({ timeout: 20_000 });
  await page.screenshot({ path: join(SCREENSHOTS, `${shot}.png`), fullPage: true });
  const shown = await page.locator('body').innerText();
  expect(await page.locator('#page [data-testid="error"]').count(), shown).toBe(0);
  // What a template slip prints instead of a value.
  expect(shown).not.toMatch(/\bnull\b|\bundefined\b|\bNaN\b|\[object /);
}

async function signIn(page: Page, token: string): Promise<void> {
  await page.goto(`${base}/`);
  await page.getByTestId('token').fill(token);
  await page.getByTestId('sign-in').locator('button[type=submit]').click();
}

const text = async (page: Page, testid: string) => (await page.getByTestId(testid).innerText()).replace(/\s/g, '');

describe('the console in a browser', () => {
  it('takes support from an account to its usage, an invoice, its hours and windows, and the PDF, never to ops', async () => {
    const page = await freshPage();
    await page.goto(`${base}/`);
    await page.getByTestId('sign-in').waitFor();
    await page.screenshot({ path: join(SCREENSHOTS, '01-sign-in.png'), fullPage: true });
    await signIn(page, support);
    await ready(page, '#/search', '02-search');
    expect(await page.getByTestId('who').innerText()).toContain('console-support (support)');

    await page.getByTestId('search-q').fill('Acme');
    await page.getByTestId('search-go').click();
    await ready(page, '#/search?q=Acme', '03-search-results');
    await page.getByTestId('account-acct-a').click();
    await ready(page, '#/accounts/acct-a', '04-account');

    // The usage chart over the seeded days, picked with the range form.
    expect(await page.getByTestId('open-usage').getAttribute('href')).toBe('#/accounts/acct-a/usage');
    await page.goto(`${base}/#/accounts/acct-a/usage?from=2026-10-29&to=2026-11-01`);
    await ready(page, '#/accounts/acct-a/usage?from=2026-10-29&to=2026-11-01', '05-usage-link');
    await page.getByTestId('range-from').fill('2026-10-30');
    await page.getByTestId('range-to').fill('2026-11-01');
    await page.getByTestId('range-apply').click();
    await ready(page, '#/accounts/acct-a/usage?from=2026-10-30&to=2026-11-01&measure=runningSeconds', '06-usage');
    expect(await page.locator('[data-testid="usage-chart"] canvas').count()).toBeGreaterThan(0);
    const api = (await (
      await fetch(
        `${base}/v1/accounts/acct-a/usage?from=2026-10-30T00:00:00Z&to=2026-11-02T00:00:00Z&bucket=day&groupBy=instance`,
        { headers: { authorization: `Bearer ${support}` } },
      )
    ).json()) as { totals: Record<string, string | number> };
    for (const field of ['runningSeconds', 'txBytes', 'rxBytes', 'cpuSeconds']) {
      expect(await text(page, `chart-total-${field}`), field).toBe(String(api.totals[field]));
      expect(await text(page, `api-total-${field}`), field).toBe(String(api.totals[field]));
    }
    expect(String(api.totals.runningSeconds)).toBe(
      String(usageRows('acct-a', 4, START, 30, 1).reduce((sum, u) => sum + u.runningSeconds, 0)),
    );

    // The invoice, its first line's hours, one hour's instances, one instance-hour's windows.
    await page.goto(`${base}/#/accounts/acct-a`);
    await ready(page, '#/accounts/acct-a', '04-account');
    await page.getByTestId(`invoice-${NUMBER}`).click();
    await ready(page, `#/invoices/${NUMBER}`, '07-invoice');
    expect(await page.getByTestId('invoice-total').innerText()).toBe('123.55');
    await page.getByTestId('line-0').click();
    await ready(page, `#/invoices/${NUMBER}/lines/0`, '08-line');
    const hourLinks = page.locator('[data-testid^="hour-20"]');
    expect(await hourLinks.count()).toBeGreaterThan(0);
    const hourHash = (await hourLinks.first().getAttribute('href'))!;
    const lineSeconds = await page
      .locator('[data-testid="line-hours"] tbody tr')
      .first()
      .locator('td')
      .nth(1)
      .innerText();
    await hourLinks.first().click();
    await ready(page, hourHash, '09-hour');
    // The hour's instances of the line's type add up to the seconds the line showed for that hour.
    const seconds = await page.locator('[data-testid="hour-instances"] tbody tr td:nth-child(3)').allInnerTexts();
    expect(String(seconds.reduce((sum, t) => sum + Number(t), 0))).toBe(lineSeconds);
    const instanceLinks = page.locator('[data-testid^="instance-acct-a-"]');
    expect(await instanceLinks.count()).toBeGreaterThan(0);
    const windowsHash = (await instanceLinks.first().getAttribute('href'))!;
    await instanceLinks.first().click();
    await ready(page, windowsHash, '10-windows');
    const counted = Number(await page.getByTestId('counted-eth0').innerText());
    expect(counted).toBeGreaterThan(0);
    expect(await page.locator('[data-testid="windows-eth0"] .counted').count()).toBe(counted);
    expect(Number(await page.getByTestId('running-seconds').innerText())).toBe(counted * 30);

    // The PDF, downloaded as a person would (a button; the token cannot ride on a plain link).
    await page.goto(`${base}/#/invoices/${NUMBER}`);
    await ready(page, `#/invoices/${NUMBER}`, '07-invoice');
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('download-pdf').click()]);
    expect(download.suggestedFilename()).toBe(`${NUMBER}.pdf`);
    const pdfPath = join(mkdtempSync(join(tmpdir(), 'console-pdf-')), `${NUMBER}.pdf`);
    await download.saveAs(pdfPath);
    expect(readFileSync(pdfPath).subarray(0, 5).toString('latin1')).toBe('%PDF-');
    expect(execFileSync('pdftotext', ['-layout', pdfPath, '-'], { encoding: 'utf8' })).toContain(NUMBER);
    await page.getByTestId('download-status').filter({ hasText: 'downloaded' }).waitFor();

    // The usage page as first opened: the last 7 days to today, with no usage in them.
    await page.goto(`${base}/#/accounts/acct-a/usage`);
    await ready(page, '#/accounts/acct-a/usage', '05-usage-default');
    await page.getByTestId('no-usage').waitFor();

    // No operators' page for support: no link to it, and its address typed in leads home.
    expect(await page.getByTestId('nav-ops').count()).toBe(0);
    await page.goto(`${base}/#/ops`);
    await ready(page, '#/search', '11-support-typed-ops');
    expect(await page.getByTestId('lag').count()).toBe(0);

    expect(problems).toEqual([]);
    await page.context().close();
  }, 55_000);
});
