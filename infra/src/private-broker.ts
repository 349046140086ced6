import type { Logger } from '@tally/log';
import { daemon, stopDaemon } from './daemon.ts';
import { kafkaAnswers, startKafka } from './kafka-broker.ts';
import { portIsFree } from './ports.ts';
import { waitUntil } from './wait-until.ts';

/**
 * A broker of a test's own, so that the test can stop and restart it (fault injection) without
 * disturbing other tests that share the stack's broker. Its data survives a restart.
 */
export interface PrivateBroker {
  brokers: string[];
  restart(downMs?: number): Promise<void>;
  stop(): Promise<void>;
  start(): Promise<void>;
}

export async function freePortPair(from: number): Promise<number> {
  for (let port = from; port < from + 400; port += 2) {
    if ((await portIsFree(port)) && (await portIsFree(port + 1))) return port;
  }
  throw new Error(`no two free ports from ${from}`);
}

export async function startPrivateBroker(name: string, log: Logger, timeoutMs = 120_000): Promise<PrivateBroker> {
  const port = await freePortPair(29_092 + Math.floor(Math.random() * 200) * 2);
  const d = daemon(`private-kafka/${name}`);
  const brokers = [`127.0.0.1:${port}`];
  const start = async () => {
    await startKafka(log, port, port + 1, d);
    await waitUntil(`private Kafka broker ${name}`, () => kafkaAnswers(brokers), timeoutMs, `see ${d.dir}/server.log`);
  };
  await start();
  return {
    brokers,
    start,
    async stop() {
      await stopDaemon(d);
    },
    async restart(downMs = 0) {
      await stopDaemon(d);
      await new Promise((resolve) => setTimeout(resolve, downMs));
      await start();
    },
  };
}
