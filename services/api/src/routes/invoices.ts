import { monthOf } from '@tally/billing';
import { invoiceCsv, invoicesJson } from '@tally/billing/runtime';
import { quoteIdentifier } from '@tally/db';
import { renderInvoicePdf } from '@tally/invoice-pdf';
import { account as accountSchema } from '@tally/records';
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { Readable } from 'node:stream';
import { z } from 'zod';
import type { ApiDeps } from '../deps.ts';
import { finalizedOfMonthPages, loadFinalizedByNumber } from '../invoice-reads.ts';
import { exportChunks } from '../invoice-stream.ts';
import { HttpProblem } from '../problem.ts';
import { month, pathId, problemResponses } from '../schemas.ts';

/** billing's InvoiceDraft document; loose so a field billing adds later reaches callers unchanged. */
const invoiceDocument = z
  .looseObject({
    format: z.string(),
    accountId: z.string(),
    month: z.string(),
    timeZone: z.string(),
    currency: z.string(),
    periodStart: z.number().int(),
    periodEnd: z.number().int(),
    lines: z.array(
      z.looseObject({
        kind: z.enum(['usage', 'adjustment', 'credit', 'carried_forward']),
        sku: z.string().nullable(),
        priceEntryKey: z.string().nullable(),
        unit: z.enum(['hour', 'gb']).nullable(),
        adjustsMonth: z.string().nullable(),
        quantity: z.string().nullable(),
        amount: z.string(),
        roundedAmount: z.string(),
      }),
    ),
    subtotal: z.string(),
    creditApplied: z.string(),
    total: z.string(),
    creditRemaining: z.string(),
  })
  .meta({ id: 'InvoiceDocument' });

const finalizedInvoice = z
  .object({
    number: z.string(),
    issuer: z.string(),
    accountId: z.string(),
    month: z.string(),
    finalizedAt: z.string(),
    contentHash: z.string(),
    invoice: invoiceDocument,
  })
  .meta({ id: 'FinalizedInvoice' });

const invoiceSummary = z.object({
  month: z.string(),
  currency: z.string(),
  kind: z.enum(['regular', 'adjustment']),
  status: z.enum(['draft', 'finalized']),
  number: z.string().nullable(),
  total: z.string().nullable(),
  finalizedAt: z.string().nullable(),
  updatedAt: z.string(),
  problem: z.string().nullable(),
});

const draft = z.object({
  currency: z.string(),
  kind: z.enum(['regular', 'adjustment']),
  updatedAt: z.string(),
  problem: z.string().nullable().describe('why the draft could not be built (no price in force yet, …)'),
  invoice: invoiceDocument.nullable(),
});

/**
 * A payload Fastify sends as it is (text, bytes, a stream): no serializer runs, so the route's JSON response schemas
 * (its problems) do not describe it; the type provider cannot express that.
 */
const raw = (payload: string | Buffer | Readable): never => payload as never;

const numberParams = z.object({ number: z.string().min(1).max(64) });
const READERS = ['finance', 'support'] as const;

/** Invoices: an account's, one (JSON, CSV, PDF), the current draft, and a month's export for finance. */
export function invoiceRoutes(app: FastifyInstance, deps: ApiDeps): void {
  const api = app.withTypeProvider<ZodTypeProvider>();
  const schema = deps.schemas.billing;
  const billing = quoteIdentifier(schema);

  const finalizedOr404 = async (number: string) => {
    const invoice = await loadFinalizedByNumber(deps.read, schema, number);
    if (invoice === undefined) throw new HttpProblem(404, `no finalized invoice numbered ${number}`);
    return invoice;
  };

  api.get(
    '/v1/accounts/:accountId/invoices',
    {
      config: { roles: READERS },
      schema: {
        summary: "An account's invoices, drafts and finalized, newest month first",
        tags: ['invoices'],
        params: z.object({ accountId: pathId }),
        response: { 200: z.object({ items: z.array(invoiceSummary) }), ...problemResponses },
      },
    },
    async (request) => {
      const result = await deps.read.query<{
        month: string;
        currency: string;
        kind: 'regular' | 'adjustment';
        status: 'draft' | 'finalized';
        number: string | null;
        total: string | null;
        finalized_at: Date | null;
        updated_at: Date;
        problem: string | null;
      }>(
        `SELECT month, currency, kind, status, number, total::text, finalized_at, updated_at, problem
         FROM ${billing}.invoices WHERE account_id = $1 ORDER BY month DESC, kind DESC, currency`,
        [request.params.accountId],
      );
      return {
        items: result.rows.map((row) => ({
          month: row.month,
          currency: row.currency,
          kind: row.kind,
          status: row.status,
          number: row.number,
          total: row.total,
          finalizedAt: row.finalized_at?.toISOString() ?? null,
          updatedAt: row.updated_at.toISOString(),
          problem: row.problem,
        })),
      };
    },
  );

  api.get(
    '/v1/accounts/:accountId/invoices/draft',
    {
      config: { roles: READERS },
      schema: {
        summary: "The drafts of the account's current month (in its time zone): what it will pay so far",
        tags: ['invoices'],
        params: z.object({ accountId: pathId }),
        response: {
          200: z.object({ accountId: z.string(), month: z.string(), timeZone: z.string(), items: z.array(draft) }),
          ...problemResponses,
        },
      },
    },
    async (request) => {
      const { accountId } = request.params;
      const account = await deps.read.query<{ time_zone: string }>(
        `SELECT record->>'timeZone' AS time_zone FROM ${billing}.billing_accounts WHERE account_id = $1`,
        [accountId],
      );
      const timeZone = account.rows[0]?.time_zone;
      if (timeZone === undefined) throw new HttpProblem(404, `billing knows no account ${accountId}`);
      const current = monthOf(deps.now(), timeZone);
      const result = await deps.read.query<{
        currency: string;
        kind: 'regular' | 'adjustment';
        updated_at: Date;
        problem: string | null;
        content: z.infer<typeof invoiceDocument> | null;
      }>(
        `SELECT currency, kind, updated_at, problem, content FROM ${billing}.invoices
         WHERE account_id = $1 AND month = $2 AND status = 'draft' ORDER BY kind DESC, currency`,
        [accountId, current],
      );
      return {
        accountId,
        month: current,
        timeZone,
        items: result.rows.map((row) => ({
          currency: row.currency,
          kind: row.kind,
          updatedAt: row.updated_at.toISOString(),
          problem: row.problem,
          invoice: row.content,
        })),
      };
    },
  );

  api.get(
    '/v1/invoices/:number',
    {
      config: { roles: READERS },
      schema: {
        summary: 'One finalized invoice as JSON (one element of the CLI export)',
        tags: ['invoices'],
        params: numberParams,
        response: { 200: finalizedInvoice, ...problemResponses },
      },
    },
    async (request) => {
      const invoice = await finalizedOr404(request.params.number);
      // invoicesJson renders it exactly as the CLI export does; its parse is the one element.
      return (JSON.parse(invoicesJson([invoice])) as z.infer<typeof finalizedInvoice>[])[0]!;
    },
  );

  api.get(
    '/v1/invoices/:number/csv',
    {
      config: { roles: READERS },
      schema: {
        summary: 'One finalized invoice as CSV (the CLI export, one row per line)',
        tags: ['invoices'],
        params: numberParams,
        produces: ['text/csv'],
        response: problemResponses,
      },
    },
    async (request, reply) => {
      const invoice = await finalizedOr404(request.params.number);
      return reply
        .type('text/csv; charset=utf-8')
        .header('content-disposition', `attachment; filename="${invoice.number}.csv"`)
        .send(raw(invoiceCsv([invoice])));
    },
  );

  api.get(
    '/v1/invoices/:number/pdf',
    {
      config: { roles: READERS },
      schema: {
        summary: 'One finalized invoice as PDF (issuer from configuration, customer name and address)',
        tags: ['invoices'],
        params: numberParams,
        produces: ['application/pdf'],
        response: { ...problemResponses, 503: problemResponses[404] },
      },
    },
    async (request, reply) => {
      if (deps.issuer === undefined)
        throw new HttpProblem(503, 'no issuer configured (TALLY_ISSUER_* variables): invoices cannot be printed');
      const invoice = await finalizedOr404(request.params.number);
      const account = await deps.read.query<{ record: unknown }>(
        `SELECT record FROM ${billing}.billing_accounts WHERE account_id = $1`,
        [invoice.accountId],
      );
      if (account.rows[0] === undefined) throw new HttpProblem(404, `billing knows no account ${invoice.accountId}`);
      const pdf = await renderInvoicePdf(
        { ...invoice, content: { ...invoice.content, lines: [...invoice.content.lines] } },
        accountSchema.parse(account.rows[0].record),
        deps.issuer,
      );
      return reply
        .type('application/pdf')
        .header('content-disposition', `inline; filename="${invoice.number}.pdf"`)
        .send(raw(pdf));
    },
  );

  api.get(
    '/v1/invoices',
    {
      config: { roles: ['finance'] },
      schema: {
        summary: "A month's finalized invoices, streamed: byte for byte `tally invoices export`",
        tags: ['invoices'],
        querystring: z.object({ month, format: z.enum(['json', 'csv']).default('json') }),
        produces: ['application/json', 'text/csv'],
        response: problemResponses,
      },
    },
    async (request, reply) => {
      const { month: period, format } = request.query;
      const chunks = exportChunks(finalizedOfMonthPages(deps.read, schema, period), format);
      return reply
        .type(format === 'csv' ? 'text/csv; charset=utf-8' : 'application/json; charset=utf-8')
        .header('content-disposition', `attachment; filename="invoices-${period}.${format}"`)
        .send(raw(Readable.from(chunks)));
    },
  );
}
