import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { ApiDeps } from '../deps.ts';
import { HttpProblem } from '../problem.ts';
import { instant, pathId, problemResponses, timeZone } from '../schemas.ts';
import { decodeCursor } from '../usage-cursor.ts';
import type { UsageRequest } from '../usage-query.ts';
import { readUsagePage } from '../usage-reader.ts';

const MAX_RANGE_MS = 400 * 86_400_000;

const count = z.string().regex(/^\d+$/).describe('a non-negative integer, as a string');
const measures = z.object({
  instanceHours: z.number().int().describe('instance-hours with any usage'),
  runningSeconds: count,
  rxBytes: count,
  txBytes: count,
  rxPackets: count,
  txPackets: count,
  cpuSeconds: z.string().describe('a decimal string'),
});
const measureItem_ = measures.extend({ period: z.string(), group: z.string() }).meta({ id: 'UsageItem' });
const skuItem_ = z
  .object({
    period: z.string(),
    group: z.string().describe('the SKU billing prices: compute.<type>, egress.gb, ingress.gb'),
    unit: z.enum(['hour', 'gb']),
    baseUnits: count.describe('seconds or bytes'),
    quantity: z.string().describe('baseUnits in units, exact (40 significant digits when it does not terminate)'),
  })
  .meta({ id: 'UsageSkuItem' });

export const usagePage = z
  .object({
    items: z.array(z.union([measureItem_, skuItem_])),
    nextCursor: z.string().nullable(),
    totals: measures.describe('the whole range, every group: not only this page'),
  })
  .meta({ id: 'UsagePage' });

const bothInstants = (q: { from: unknown; to: unknown }) => q.from instanceof Date && q.to instanceof Date;

const usageQuery = z
  .object({
    from: instant.describe('inclusive'),
    to: instant.describe('exclusive'),
    bucket: z.enum(['hour', 'day', 'month']).default('day'),
    groupBy: z.enum(['instance', 'instanceType', 'sku']).default('instance'),
    timeZone: timeZone.default('UTC').describe('buckets start at local midnight / the 1st in this zone'),
    limit: z.coerce.number().int().min(1).max(1000).default(100),
    cursor: z.string().max(1000).optional().describe("the previous page's nextCursor"),
  })
  // Zod runs these even when a field failed already (its issue is not fatal): check only valid instants.
  .refine((q) => !bothInstants(q) || q.from < q.to, { message: 'from must be before to', path: ['from'] })
  .refine((q) => !bothInstants(q) || q.to.getTime() - q.from.getTime() <= MAX_RANGE_MS, {
    message: 'at most 400 days per request',
    path: ['to'],
  });

/** Usage of an account or an instance over a range, by hour, day or month, grouped by instance, type or SKU. */
export function usageRoutes(app: FastifyInstance, deps: ApiDeps): void {
  const api = app.withTypeProvider<ZodTypeProvider>();
  const page = async (request: Omit<UsageRequest, 'after'>, cursor: string | undefined) => {
    const after = cursor === undefined ? undefined : decodeCursor(cursor);
    if (cursor !== undefined && after === undefined) throw new HttpProblem(400, 'cursor: not a cursor of this API');
    return readUsagePage(deps.read, { ...request, after }, deps.schemas.metering);
  };

  for (const scope of ['account', 'instance'] as const) {
    const param = scope === 'account' ? 'accountId' : 'instanceId';
    api.get(
      `/v1/${scope}s/:${param}/usage`,
      {
        config: { roles: ['support'] },
        schema: {
          summary: `Usage of ${scope === 'account' ? 'an account' : 'an instance'} over a range, paginated`,
          description:
            "From metering's usage_hourly and its daily roll-up (what metering counted; billing prices the same records). Items ordered by (period, group).",
          tags: ['usage'],
          params: z.object({ [param]: pathId }),
          querystring: usageQuery,
          response: { 200: usagePage, ...problemResponses },
        },
      },
      async (request) => {
        const q = request.query;
        const id = (request.params as Record<string, string>)[param]!;
        return page(
          {
            scope,
            id,
            from: q.from,
            to: q.to,
            bucket: q.bucket,
            groupBy: q.groupBy,
            timeZone: q.timeZone,
            limit: q.limit,
          },
          q.cursor,
        );
      },
    );
  }
}
