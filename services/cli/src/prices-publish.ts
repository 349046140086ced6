import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { parsePriceBookFile, priceEntryKey, PriceBookFileError } from '@tally/billing';
import { connectionEnv, loadConfig } from '@tally/config';
import { createIdempotentProducer, createKafka, createRegistry, topics, typedTopics, valueCodec } from '@tally/kafka';
import { createLogger } from '@tally/log';
import { z } from 'zod';
import { parseCommandArgs } from './args.ts';
import type { Command } from './command.ts';

const args = z.object({
  positionals: z.tuple([z.string().regex(/\.(ya?ml|json)$/i, 'expected a .yaml, .yml or .json price book file')], {
    error: 'expected exactly one price book file',
  }),
});

const env = connectionEnv.extend({ PRICES_TOPIC: z.string().min(1).default(topics.prices.name) });

/**
 * `tally prices publish <file>`: validates the whole price book first (nothing is sent from a bad file), then
 * publishes every entry to prices.v1 keyed by priceEntryKey, acknowledged by all replicas.
 */
export const pricesPublish: Command = {
  path: ['prices', 'publish'],
  usage: 'tally prices publish <file.yaml|file.json>',
  summary: 'validate a price book file and publish its entries to the prices topic',
  async run(argv, io) {
    const { positionals } = parseCommandArgs(argv, {}, args);
    const [file] = positionals;
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (error) {
      io.err(`cannot read ${file}: ${error instanceof Error ? error.message : String(error)}\n`);
      return 1;
    }
    let entries;
    try {
      entries = parsePriceBookFile(text, basename(file));
    } catch (error) {
      if (error instanceof PriceBookFileError) {
        io.err(`${error.message}\nnothing was published.\n`);
        return 1;
      }
      throw error;
    }
    const config = loadConfig(env, io.env);
    const log = createLogger('tally-cli', 'warn');
    const kafka = createKafka('tally-cli', config.KAFKA_BROKERS, log);
    const spec = { ...typedTopics.prices, spec: { ...topics.prices, name: config.PRICES_TOPIC } };
    const codec = valueCodec(createRegistry(config.SCHEMA_REGISTRY_URL), spec);
    const messages = [];
    for (const entry of entries) messages.push({ key: priceEntryKey(entry), value: await codec.encode(entry) });
    const producer = createIdempotentProducer(kafka);
    await producer.connect();
    try {
      await producer.send({ topic: config.PRICES_TOPIC, acks: -1, messages });
    } finally {
      await producer.disconnect();
    }
    for (const entry of entries) io.out(`published ${priceEntryKey(entry)}\n`);
    io.out(`${entries.length} price entries published to ${config.PRICES_TOPIC}\n`);
    return 0;
  },
};
