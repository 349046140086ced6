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
  /** Seconds a partition has been failing past its retry budget; 0 while it moves. */
  stalledSeconds: Gauge<'topic' | 'partition'>;
  /** Gaps accepted between a stored offset and the first record Kafka could still deliver. */
  offsetGaps: Counter<'topic' | 'partition'>;
  /** Offsets inside those gaps (deleted by retention or removed by compaction; includes offsets never used). */
  offsetsSkipped: Counter<'topic' | 'partition'>;
  /** Seeks to the stored offset (on assignment, or when Kafka delivered past it); a steady climb means a loop. */
  seeks: Counter<'topic' | 'partition'>;
  /** Records set aside by bisecting a batch whose pipeline or commit failed deterministically. */
  isolated: Counter<'topic' | 'error_class'>;
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
    stalledSeconds: new Gauge({
      name: 'tally_consumer_stalled_seconds',
      help: 'Seconds a partition has been retrying a transient failure past its retry budget (0 once it moves)',
      labelNames: ['topic', 'partition'],
      registers: [registry],
    }),
    offsetGaps: new Counter({
      name: 'tally_consumer_offset_gaps_total',
      help: 'Stored offsets found below the first record Kafka could deliver (retention or compaction); accepted',
      labelNames: ['topic', 'partition'],
      registers: [registry],
    }),
    offsetsSkipped: new Counter({
      name: 'tally_consumer_offsets_skipped_total',
      help: 'Offsets inside accepted gaps',
      labelNames: ['topic', 'partition'],
      registers: [registry],
    }),
    seeks: new Counter({
      name: 'tally_consumer_seeks_total',
      help: 'Seeks to the offset stored with the results (on assignment, or when Kafka delivered past it)',
      labelNames: ['topic', 'partition'],
      registers: [registry],
    }),
    isolated: new Counter({
      name: 'tally_consumer_isolated_records_total',
      help: 'Records dead-lettered after bisecting a batch that failed deterministically',
      labelNames: ['topic', 'error_class'],
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
