import { applyTopics, catalog, createKafka, createRegistry, registerSchemas } from '@tally/kafka';
import type { Logger } from '@tally/log';
import { schemasDir } from './paths.ts';
import type { Endpoints } from './stack-config.ts';

/** Applies the topic catalog and registers every value schema; safe to run any number of times. */
export async function prepareTopicsAndSchemas(endpoints: Endpoints, log: Logger): Promise<void> {
  const admin = createKafka('tally-admin', endpoints.kafkaBrokers, log).admin();
  await admin.connect();
  try {
    const report = await applyTopics(admin, catalog);
    log.info({ created: report.created.length, unchanged: report.unchanged.length }, 'topic catalog applied');
    for (const difference of report.differences) {
      log.warn(difference, 'topic differs from the catalog (not altered; fix by hand or recreate)');
    }
  } finally {
    await admin.disconnect();
  }
  const ids = await registerSchemas(createRegistry(endpoints.schemaRegistryUrl), schemasDir, catalog);
  log.info({ subjects: ids.size }, 'schemas registered (BACKWARD compatibility)');
}
