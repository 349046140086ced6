import { quoteIdentifier } from '@tally/db';
import { countedSlots, HOUR_MS } from '@tally/records';
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { ApiDeps } from '../deps.ts';
import { interfaceWindows } from '../instance-windows.ts';
import { HttpProblem } from '../problem.ts';
import { instant, pathId, problemResponses } from '../schemas.ts';
import { trimDecimal } from '../usage-query.ts';

const count = z.string().regex(/^\d+$/);
const instanceHour = z
  .object({
    instanceId: z.string(),
    accountId: z.string(),
    instanceType: z.string(),
    hourStart: z.string(),
    runningSeconds: count,
    rxBytes: count,
    txBytes: count,
    rxPackets: count,
    txPackets: count,
    cpuSeconds: z.string(),
    version: count,
    updatedAt: z.string(),
    interfaces: z.array(
      z.object({
        interfaceId: z.string(),
        countedWindows: z.number().int(),
        windows: z.array(z.object({ slot: z.number().int(), windowStart: z.string(), counted: z.boolean() })),
      }),
    ),
  })
  .meta({ id: 'InstanceHour' });

/** One instance-hour down to the 30 s windows metering counted per interface. */
export function instanceHourRoutes(app: FastifyInstance, deps: ApiDeps): void {
  const api = app.withTypeProvider<ZodTypeProvider>();
  const table = `${quoteIdentifier(deps.schemas.metering)}.usage_hourly`;
  api.get(
    '/v1/instances/:instanceId/hours/:hourStart',
    {
      config: { roles: ['support'] },
      schema: {
        summary: 'One instance-hour and, per interface, which of its 120 windows of 30 s were counted',
        tags: ['usage'],
        params: z.object({
          instanceId: pathId,
          hourStart: instant.refine((at) => at.getTime() % HOUR_MS === 0, 'expected the start of an hour (UTC)'),
        }),
        response: { 200: instanceHour, ...problemResponses },
      },
    },
    async (request) => {
      const { instanceId, hourStart } = request.params;
      const result = await deps.read.query<{
        account_id: string;
        instance_type: string;
        running_seconds: string;
        rx_bytes: string;
        tx_bytes: string;
        rx_packets: string;
        tx_packets: string;
        cpu_seconds: string;
        counted: unknown;
        version: string;
        updated_at: Date;
      }>(
        `SELECT account_id, instance_type, running_seconds, rx_bytes, tx_bytes, rx_packets, tx_packets,
                cpu_seconds::text, counted, version, updated_at
         FROM ${table} WHERE instance_id = $1 AND hour_start = $2`,
        [instanceId, hourStart],
      );
      const row = result.rows[0];
      if (row === undefined)
        throw new HttpProblem(404, `metering has counted nothing for ${instanceId} in ${hourStart.toISOString()}`);
      return {
        instanceId,
        accountId: row.account_id,
        instanceType: row.instance_type,
        hourStart: hourStart.toISOString(),
        runningSeconds: row.running_seconds,
        rxBytes: row.rx_bytes,
        txBytes: row.tx_bytes,
        rxPackets: row.rx_packets,
        txPackets: row.tx_packets,
        cpuSeconds: trimDecimal(row.cpu_seconds),
        version: row.version,
        updatedAt: row.updated_at.toISOString(),
        interfaces: interfaceWindows(hourStart.getTime(), z.array(countedSlots).parse(row.counted)),
      };
    },
  );
}
