import { randomUUID } from 'node:crypto';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { createLogger } from '@tally/log';
import { Kafka, logLevel } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { kafkaAnswers } from './kafka-broker.ts';
import { runDir } from './paths.ts';
import { startPrivateBroker } from './private-broker.ts';

describe('private broker', () => {
  it('keeps its data across a restart and leaves nothing running when stopped', async () => {
    const name = `test-${randomUUID().slice(0, 8)}`;
    const broker = await startPrivateBroker(name, createLogger('private-broker-test', 'warn'));
    try {
      const kafka = new Kafka({ clientId: 'private-broker-test', brokers: broker.brokers, logLevel: logLevel.NOTHING });
      const admin = kafka.admin();
      await admin.connect();
      await admin.createTopics({
        waitForLeaders: true,
        topics: [{ topic: 'survives', numPartitions: 1, replicationFactor: 1 }],
      });
      await admin.disconnect();
      const producer = kafka.producer();
      await producer.connect();
      await producer.send({ topic: 'survives', acks: -1, messages: [{ key: 'k', value: 'before the restart' }] });
      await producer.disconnect();

      await broker.restart(500);

      const after = kafka.admin();
      await after.connect();
      const offsets = await after.fetchTopicOffsets('survives');
      await after.disconnect();
      expect(offsets).toEqual([expect.objectContaining({ partition: 0, high: '1', low: '0' })]);
    } finally {
      await broker.stop();
      rmSync(join(runDir, 'private-kafka', name), { recursive: true, force: true });
    }
    await expect(kafkaAnswers(broker.brokers)).rejects.toThrow();
  }, 240_000);
});
