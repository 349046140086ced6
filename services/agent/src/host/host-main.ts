/**
 * The agent an operator installs on a KVM hypervisor (AGENT_MODE=host, or the single executable): discovers the
 * running libvirt domains every window, reads their taps' counters from /sys and their CPU time from their
 * cgroups, spools each 30 s window's samples and sends them to traffic.samples. Health and metrics on
 * health.host:health.port. SIGTERM / SIGINT stop it cleanly; what is unsent stays spooled for the next start.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { AddressInfo } from 'node:net';
import { createIdempotentProducer, createKafka, createRegistry, topics, typedTopic, valueCodec } from '@tally/kafka';
import { createLogger, shutdownWatchdog } from '@tally/log';
import { trafficSample } from '@tally/records';
import { DEFAULT_WINDOW_OPTIONS } from '../counter-windows.ts';
import { SampleSender } from '../sample-sender.ts';
import { Spool } from '../spool.ts';
import { readCounters } from '../sysfs-reader.ts';
import { cgroupLayout } from './cgroup-layout.ts';
import { discoverDomains } from './discover-domains.ts';
import { serveHealth } from './health-server.ts';
import { loadHostConfig } from './host-config.ts';
import { hostMapping } from './host-mapping.ts';
import { kafkaSampleSend } from './kafka-sample-send.ts';
import { createHostMetrics } from './host-metrics.ts';
import { runSpoolPump } from './spool-pump.ts';
import { Wakeup } from './wakeup.ts';
import { runWindowLoop } from './window-loop.ts';

export async function main(argv: readonly string[] = process.argv.slice(2)): Promise<void> {
  const log = createLogger('agent');
  const config = await loadHostConfig(argv, process.env);
  const layout = await cgroupLayout(config.cgroup.root, config.cgroup.version);
  const spool = await Spool.open(config.spool.dir, {
    maxBytes: config.spool.maxBytes,
    maxRecords: config.spool.maxRecords,
  });
  const metrics = createHostMetrics(() => spool.stats());
  const kafka = createKafka('agent', config.kafka.brokers, log);
  const producer = createIdempotentProducer(kafka);
  const topic = typedTopic({ ...topics.trafficSamples, name: config.samplesTopic }, trafficSample);
  const codec = valueCodec(createRegistry(config.schemaRegistryUrl), topic);
  const sender = new SampleSender({
    send: kafkaSampleSend(producer, codec, config.samplesTopic, metrics, Date.now),
    spool,
    log,
    retryMs: config.send.retryMs,
    drainBatch: config.send.batchSize,
  });
  const instanceIdSource =
    config.libvirt.instanceId === 'uuid'
      ? ({ from: 'uuid' } as const)
      : ({ from: 'metadata', element: config.libvirt.instanceId.metadataElement } as const);
  const started = Date.now();
  let lastWindowAt: number | undefined;
  // Healthy while windows keep closing: a stuck reader (hung /sys, blocked disk) turns it 503.
  const staleAfterMs = 2 * config.windowMs + config.readDelayMs + 5_000;
  const server = await serveHealth(
    metrics.registry,
    () => {
      const now = Date.now();
      const since = lastWindowAt ?? started;
      const stats = spool.stats();
      return {
        healthy: now - since < staleAfterMs,
        lastWindowAt: lastWindowAt === undefined ? null : new Date(lastWindowAt).toISOString(),
        spooledSamples: stats.records,
        spooledBytes: stats.bytes,
        ...sender.stats,
      };
    },
    config.health.port,
    config.health.host,
  );
  const controller = new AbortController();
  const stop = (signal: string) => {
    if (controller.signal.aborted) return;
    log.info({ signal }, 'stopping');
    controller.abort();
  };
  process.once('SIGTERM', () => stop('SIGTERM'));
  process.once('SIGINT', () => stop('SIGINT'));
  log.info(
    {
      hypervisorId: config.hypervisorId,
      brokers: config.kafka.brokers,
      topic: config.samplesTopic,
      domainDir: config.libvirt.domainDir,
      cgroup: layout,
      windowMs: config.windowMs,
      healthPort: (server.address() as AddressInfo).port,
      spooled: spool.size,
    },
    'agent started',
  );

  const pump = new Wakeup();
  const windowOptions = { ...DEFAULT_WINDOW_OPTIONS, width: config.counterWidth, windowMs: config.windowMs };
  const readerPaths = { sysRoot: config.sysRoot, cgroupRoot: layout.cpuRoot, cgroupVersion: layout.version };
  const windows = runWindowLoop(
    {
      clock: Date.now,
      sleep: (ms, signal) => sleep(Math.max(0, ms), undefined, { signal }).catch(() => undefined),
      discover: async () => {
        const { domains, unreadable } = await discoverDomains(config.libvirt.domainDir, instanceIdSource);
        const fallback = domains.filter((domain) => domain.instanceIdFallback).map((domain) => domain.name);
        if (fallback.length > 0) log.warn({ domains: fallback }, 'no instance id in metadata; using the UUID');
        const { mapping, problems } = hostMapping(config.hypervisorId, domains, config.cgroup.pathPattern);
        return { mapping, problems: [...unreadable.map((u) => ({ domain: u.file, reason: u.error })), ...problems] };
      },
      read: (mapping, at) =>
        readCounters(mapping, readerPaths, at, (what, error) => {
          metrics.unreadable.inc();
          log.warn({ err: error, what }, 'counter not readable; it is read again next window');
        }),
      append: (samples) => spool.append(samples),
      pump,
      metrics,
      log,
      windowOptions,
      readDelayMs: config.readDelayMs,
      onWindow: (at) => (lastWindowAt = at),
    },
    controller.signal,
  );
  const sending = runSpoolPump(
    sender,
    pump,
    { retryMs: config.send.retryMs, finalFlushMs: 5_000, log },
    controller.signal,
  );
  const failed = await Promise.race([windows, sending]).then(
    () => undefined,
    (error: unknown) => error,
  );
  if (failed !== undefined) {
    log.error({ err: failed }, 'agent failed; stopping');
    controller.abort();
  }
  const watchdog = shutdownWatchdog(log, 20_000);
  watchdog.step('window loop');
  await windows.catch(() => undefined);
  watchdog.step('sender');
  await sending.catch(() => undefined);
  watchdog.step('spool');
  await spool.close();
  watchdog.step('producer');
  await producer.disconnect().catch(() => undefined);
  watchdog.step('health server');
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
  watchdog.done();
  log.info({ ...sender.stats }, 'agent stopped');
  process.exitCode = failed === undefined ? 0 : 1;
}
