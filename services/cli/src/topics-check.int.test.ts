/**
 * `tally topics verify|apply` against the real broker and registry, on a copy of the catalog under a per-run prefix:
 * verify lists what is missing and differs (exit 1); apply creates only what is missing, registers missing subjects
 * with BACKWARD compatibility, and never alters a topic that differs.
 */
import { randomBytes } from 'node:crypto';
import { connectionEnv, loadConfig } from '@tally/config';
import { catalog, createKafka, topics } from '@tally/kafka';
import { createLogger } from '@tally/log';
import { afterAll, describe, expect, it } from 'vitest';
import type { Command } from './command.ts';
import { dispatch } from './dispatch.ts';
import { topicsApply, topicsVerify } from './topics-check.ts';

const endpoints = loadConfig(connectionEnv);
const kafka = createKafka('topics-check-test', endpoints.KAFKA_BROKERS, createLogger('topics-check-test', 'warn'));
const prefix = `test.tc${randomBytes(4).toString('hex')}.`;
const registryUrl = endpoints.SCHEMA_REGISTRY_URL.replace(/\/+$/, '');

async function tally(command: Command, argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await dispatch([command], [...command.path, ...argv], {
    out: (t) => (out += t),
    err: (t) => (err += t),
    env: process.env,
  });
  return { code, out, err };
}

afterAll(async () => {
  const admin = kafka.admin();
  await admin.connect();
  const mine = (await admin.listTopics()).filter((t) => t.startsWith(prefix));
  if (mine.length > 0) await admin.deleteTopics({ topics: mine });
  await admin.disconnect();
  for (const spec of catalog) {
    if (spec.valueSchema === undefined) continue;
    const subject = encodeURIComponent(`${prefix}${spec.name}-value`);
    await fetch(`${registryUrl}/subjects/${subject}`, { method: 'DELETE' }).catch(() => undefined);
  }
});

describe('tally topics verify and apply', () => {
  it('detect missing topics, a wrong partition count and a missing subject; apply creates only what is missing', async () => {
    // One catalog topic exists already, with the wrong partition count.
    const wrong = `${prefix}${topics.usageHourly.name}`;
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({
      waitForLeaders: true,
      topics: [{ topic: wrong, numPartitions: 2, configEntries: [{ name: 'cleanup.policy', value: 'compact' }] }],
    });

    const before = await tally(topicsVerify, ['--prefix', prefix]);
    expect(before.code).toBe(1);
    const withSchema = catalog.filter((spec) => spec.valueSchema !== undefined);
    for (const spec of catalog.filter((s) => s.name !== topics.usageHourly.name)) {
      expect(before.out).toContain(`missing topic: ${prefix}${spec.name}\n`);
    }
    expect(before.out).toContain(`topic differs: ${wrong} partitions: catalog 6, actual 2\n`);
    for (const spec of withSchema) expect(before.out).toContain(`missing subject: ${prefix}${spec.name}-value\n`);

    const applied = await tally(topicsApply, ['--prefix', prefix]);
    expect(applied.code, applied.out + applied.err).toBe(1); // the wrong partition count is left as it is
    expect(applied.out.match(/^created topic /gm)).toHaveLength(catalog.length - 1);
    expect(applied.out).not.toContain(`created topic ${wrong}\n`);
    expect(applied.out.match(/^registered /gm)).toHaveLength(withSchema.length);
    expect(applied.out).toContain(`topic differs: ${wrong} partitions: catalog 6, actual 2\n`);

    // Apply altered nothing that existed: still two partitions.
    const metadata = await admin.fetchTopicMetadata({ topics: [wrong] });
    expect(metadata.topics[0]!.partitions).toHaveLength(2);
    const samples = await admin.fetchTopicMetadata({ topics: [`${prefix}${topics.trafficSamples.name}`] });
    expect(samples.topics[0]!.partitions).toHaveLength(topics.trafficSamples.partitions);

    // Each registered subject is BACKWARD.
    const level = await fetch(
      `${registryUrl}/config/${encodeURIComponent(`${prefix}${topics.prices.name}-value`)}?defaultToGlobal=true`,
    );
    expect(await level.json()).toEqual({ compatibilityLevel: 'BACKWARD' });

    // Only the partition count differs now.
    const after = await tally(topicsVerify, ['--prefix', prefix]);
    expect(after.code).toBe(1);
    expect(after.out).toBe(`topic differs: ${wrong} partitions: catalog 6, actual 2\n`);

    // A subject deleted behind Tally's back is reported missing, and apply registers it again.
    await admin.deleteTopics({ topics: [wrong] });
    await fetch(`${registryUrl}/subjects/${encodeURIComponent(`${prefix}${topics.prices.name}-value`)}`, {
      method: 'DELETE',
    });
    const gone = await tally(topicsVerify, ['--prefix', prefix, '--json']);
    expect(gone.code).toBe(1);
    const report = JSON.parse(gone.out) as { differences: { kind: string; name: string }[] };
    expect(report.differences).toEqual(
      expect.arrayContaining([{ kind: 'missing subject', name: `${prefix}${topics.prices.name}-value` }]),
    );
    const again = await tally(topicsApply, ['--prefix', prefix]);
    expect(again.code, again.out + again.err).toBe(0);
    expect(again.out).toContain(`registered ${prefix}${topics.prices.name}-value`);
    expect((await tally(topicsVerify, ['--prefix', prefix])).code).toBe(0);
    await admin.disconnect();
  }, 60_000);
});
