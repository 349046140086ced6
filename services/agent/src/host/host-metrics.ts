import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';
import type { SpoolStats } from '../spool.ts';

/** The host agent's Prometheus metrics (served on /metrics beside /healthz, see health-server.ts). */
export interface HostMetrics {
  readonly registry: Registry;
  readonly windows: Counter;
  readonly samples: Counter;
  readonly sent: Counter;
  readonly sendFailures: Counter;
  readonly lastSend: Gauge;
  readonly lastWindow: Gauge;
  readonly clockSkew: Gauge;
  readonly domains: Gauge;
  readonly appeared: Counter;
  readonly vanished: Counter;
  readonly mappingProblems: Gauge;
  readonly anomalies: Counter<'kind'>;
  readonly unreadable: Counter;
}

/**
 * Creates the metrics; spool depth and bytes are read from the spool at each scrape, so they are never stale.
 *
 * @example
 * const metrics = createHostMetrics(() => spool.stats());
 */
export function createHostMetrics(spoolStats: () => SpoolStats): HostMetrics {
  const registry = new Registry();
  registry.setDefaultLabels({ service: 'agent' });
  collectDefaultMetrics({ register: registry });
  const registers = [registry];
  const spoolGauge = (name: string, help: string, read: (stats: SpoolStats) => number) =>
    new Gauge({
      name,
      help,
      registers,
      collect() {
        this.set(read(spoolStats()));
      },
    });
  spoolGauge('tally_agent_spool_records', 'Samples in the spool not yet acknowledged by the broker', (s) => s.records);
  spoolGauge('tally_agent_spool_bytes', 'Bytes of those samples', (s) => s.bytes);
  spoolGauge(
    'tally_agent_spool_rejected',
    'Samples the full spool refused since start (held, retried)',
    (s) => s.rejected,
  );
  return {
    registry,
    windows: new Counter({ name: 'tally_agent_windows_total', help: 'Windows closed (readings taken)', registers }),
    samples: new Counter({ name: 'tally_agent_samples_total', help: 'Samples produced and spooled', registers }),
    sent: new Counter({
      name: 'tally_agent_samples_sent_total',
      help: 'Samples acknowledged by the broker',
      registers,
    }),
    sendFailures: new Counter({ name: 'tally_agent_send_failures_total', help: 'Sends that failed', registers }),
    lastSend: new Gauge({
      name: 'tally_agent_last_send_timestamp_seconds',
      help: 'When the broker last acknowledged a send (unix seconds; 0: never since start)',
      registers,
    }),
    lastWindow: new Gauge({
      name: 'tally_agent_last_window_timestamp_seconds',
      help: 'When the last window was closed (unix seconds)',
      registers,
    }),
    clockSkew: new Gauge({
      name: 'tally_agent_clock_skew_seconds',
      help: "Broker's log-append time minus this host's clock at the send's midpoint (needs LogAppendTime on the topic)",
      registers,
    }),
    domains: new Gauge({ name: 'tally_agent_domains', help: 'Domains measured in the last window', registers }),
    appeared: new Counter({ name: 'tally_agent_domains_appeared_total', help: 'Instances that appeared', registers }),
    vanished: new Counter({ name: 'tally_agent_domains_vanished_total', help: 'Instances that vanished', registers }),
    mappingProblems: new Gauge({
      name: 'tally_agent_mapping_problems',
      help: 'Domain files or domains that could not be measured in the last window',
      registers,
    }),
    unreadable: new Counter({
      name: 'tally_agent_unreadable_counters_total',
      help: 'Device or cgroup readings that failed (left for the next window)',
      registers,
    }),
    anomalies: new Counter({
      name: 'tally_agent_counter_anomalies_total',
      help: 'Counters that wrapped, reset, were created again or overflowed',
      labelNames: ['kind'],
      registers,
    }),
  };
}
