import { createServer, type Server } from 'node:http';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** One service's Prometheus metrics; the consumer runtime records into it. */
export interface ConsumerMetrics {
  registry: Registry;
  recordsIn: Counter<'topic'>;
  recordsOut: Counter<'topic'>;
  deadLettered: Counter<'topic' | 'error_class'>;
  retries: Counter<'topic'>;
  batchSeconds: Histogram<'topic'>;
  lag: Gauge<'topic' | 'partition'>;
}

export function createMetrics(service: string): ConsumerMetrics {
  const registry = new Registry();
  registry.setDefaultLabels({ service });
  collectDefaultMetrics({ register: registry });
  return {
    registry,
    recordsIn: new Counter({
      name: 'tally_records_in_total',
      help: 'Records fetched and decoded',
      labelNames: ['topic'],
      registers: [registry],
    }),
    recordsOut: new Counter({
      name: 'tally_records_out_total',
      help: 'Results committed',
      labelNames: ['topic'],
      registers: [registry],
    }),
    deadLettered: new Counter({
      name: 'tally_dead_lettered_total',
      help: 'Records sent to a dead-letter topic',
      labelNames: ['topic', 'error_class'],
      registers: [registry],
    }),
    retries: new Counter({
      name: 'tally_retries_total',
      help: 'Batch attempts that failed with a retryable error',
      labelNames: ['topic'],
      registers: [registry],
    }),
    batchSeconds: new Histogram({
      name: 'tally_batch_duration_seconds',
      help: 'Time from fetch to durable commit per batch',
      labelNames: ['topic'],
      registers: [registry],
    }),
    lag: new Gauge({
      name: 'tally_consumer_lag',
      help: 'Records between the committed position and the high watermark',
      labelNames: ['topic', 'partition'],
      registers: [registry],
    }),
  };
}

/** Serves GET /metrics in Prometheus text format. */
export function serveMetrics(registry: Registry, port: number, host = '127.0.0.1'): Promise<Server> {
  const server = createServer((request, response) => {
    if (request.url !== '/metrics') {
      response.writeHead(404).end();
      return;
    }
    registry.metrics().then(
      (text) => response.writeHead(200, { 'content-type': registry.contentType }).end(text),
      (error: unknown) => response.writeHead(500).end(String(error)),
    );
  });
  return new Promise((resolve) => server.listen(port, host, () => resolve(server)));
}
