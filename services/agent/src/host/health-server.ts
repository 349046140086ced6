import { createServer, type Server } from 'node:http';
import type { Registry } from 'prom-client';

/** What /healthz reports; `healthy` decides 200 or 503. */
export interface HealthReport {
  readonly healthy: boolean;
  readonly [detail: string]: unknown;
}

/**
 * Serves GET /healthz (200 or 503, JSON) and GET /metrics (Prometheus text). Resolves once listening.
 *
 * @example
 * const server = await serveHealth(metrics.registry, () => ({ healthy: true }), 9464, '127.0.0.1');
 */
export function serveHealth(
  registry: Registry,
  health: () => HealthReport,
  port: number,
  host: string,
): Promise<Server> {
  const server = createServer((request, response) => {
    if (request.method !== 'GET') {
      response.writeHead(405).end();
      return;
    }
    if (request.url === '/healthz') {
      const report = health();
      response
        .writeHead(report.healthy ? 200 : 503, { 'content-type': 'application/json' })
        .end(JSON.stringify(report));
      return;
    }
    if (request.url === '/metrics') {
      registry.metrics().then(
        (text) => response.writeHead(200, { 'content-type': registry.contentType }).end(text),
        (error: unknown) => response.writeHead(500).end(String(error)),
      );
      return;
    }
    response.writeHead(404).end();
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve(server));
  });
}
