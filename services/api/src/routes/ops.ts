import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { ApiDeps } from '../deps.ts';
import { instant, problemResponses } from '../schemas.ts';

const OPERATOR = ['operator'] as const;

const partition = z.object({
  partition: z.number().int(),
  end: z.string(),
  start: z.string(),
  stored: z.string().nullable(),
  storedAgeSeconds: z.number().nullable(),
  committed: z.string().nullable(),
  lag: z.string(),
  stalled: z.boolean(),
});
const topicCount = z.object({ topic: z.string(), records: z.number().nullable() });
const statusReport = z
  .object({
    at: z.string(),
    stallAfterSeconds: z.number(),
    groups: z
      .array(
        z.object({
          service: z.string(),
          group: z.string(),
          topic: z.string(),
          problem: z.string().optional(),
          partitions: z.array(partition).readonly(),
        }),
      )
      .readonly(),
    outboxes: z
      .array(
        z.object({
          service: z.string(),
          schema: z.string(),
          rows: z.number(),
          oldestAgeSeconds: z.number().nullable(),
          parked: z.number().nullable(),
          problem: z.string().optional(),
        }),
      )
      .readonly(),
    deadLetters24h: z.array(topicCount).readonly(),
    lateSamples24h: z.array(topicCount).readonly(),
    lastFinalized: z.object({ month: z.string().nullable(), invoices: z.number(), problem: z.string().optional() }),
    billing: z.object({
      staleAccounts: z.number(),
      oldestStaleAgeSeconds: z.number().nullable(),
      parked: z.array(z.object({ accountId: z.string(), reason: z.string(), parkedAt: z.string() })).readonly(),
      pendingHours: z.number(),
      problem: z.string().optional(),
    }),
  })
  .meta({ id: 'StatusReport' });

const deadLetters = z.object({
  topic: z.string(),
  count: z.number().int(),
  waiting: z.number().int(),
  latest: z.array(
    z.object({
      partition: z.number().int(),
      offset: z.string(),
      key: z.string().nullable(),
      errorClass: z.string(),
      errorMessage: z.string(),
      source: z.string(),
      service: z.string(),
      time: z.string(),
      valueBytes: z.number().int(),
      redriven: z.boolean().nullable(),
    }),
  ),
});

const late = z.object({
  topic: z.string(),
  undecodable: z.number().int(),
  records: z.number().int(),
  groups: z.array(
    z.object({
      accountId: z.string().nullable(),
      hourStart: z.string(),
      records: z.number().int(),
      samples: z.number().int(),
      replayed: z.number().int(),
      reasons: z.record(z.string(), z.number().int()),
    }),
  ),
});

/** The operator views of `tally status`, `tally dlq list` and `tally late list`, computed by the same code. */
export function opsRoutes(app: FastifyInstance, deps: ApiDeps): void {
  const api = app.withTypeProvider<ZodTypeProvider>();
  api.get(
    '/v1/ops/status',
    {
      config: { roles: OPERATOR },
      schema: {
        summary: 'Consumer groups with lag and stalled partitions, outbox, dead letters and late samples of 24 h',
        tags: ['operators'],
        querystring: z.object({ stallAfter: z.coerce.number().positive().max(86_400).default(300) }),
        response: { 200: statusReport, ...problemResponses },
      },
    },
    async (request) => deps.ops.status(request.query.stallAfter),
  );
  api.get(
    '/v1/ops/dead-letters',
    {
      config: { roles: OPERATOR },
      schema: {
        summary: "A topic's dead letters: how many, how many not re-driven, the latest",
        tags: ['operators'],
        querystring: z.object({
          topic: z.string().min(1).max(249).describe('the source topic, e.g. traffic.samples.v1'),
          limit: z.coerce.number().int().min(1).max(1000).default(50),
        }),
        response: { 200: deadLetters, ...problemResponses },
      },
    },
    async (request) => deps.ops.deadLetters(request.query.topic, request.query.limit),
  );
  api.get(
    '/v1/ops/late',
    {
      config: { roles: OPERATOR },
      schema: {
        summary: 'Late samples metering could not count, by account and hour (the latest groups)',
        tags: ['operators'],
        querystring: z.object({
          account: z.string().min(1).max(200).optional(),
          from: instant.optional(),
          to: instant.optional(),
          limit: z.coerce.number().int().min(1).max(1000).default(200),
        }),
        response: { 200: late, ...problemResponses },
      },
    },
    async (request) => {
      const q = request.query;
      return deps.ops.late({ account: q.account, from: q.from?.getTime(), to: q.to?.getTime() }, q.limit);
    },
  );
}
