import {
  abuseDecision,
  account,
  accountAction,
  billingHourly,
  emailNotification,
  instance,
  invoice,
  payment,
  priceEntry,
  trafficSample,
  usageHourly,
} from '@tally/records';
import { z } from 'zod';
import { topics } from './catalog.ts';
import { priceEntryFromWire, priceEntryToWire } from './price-wire.ts';
import { typedTopic } from './typed-topic.ts';

export const lateSample = z.object({ reason: z.string(), detectedAt: z.number().int(), sample: trafficSample });
export type LateSample = z.infer<typeof lateSample>;

/** The typed view of every catalog topic that carries Avro values. */
export const typedTopics = {
  trafficSamples: typedTopic(topics.trafficSamples, trafficSample),
  lateSamples: typedTopic(topics.lateSamples, lateSample),
  instances: typedTopic(topics.instances, instance),
  accounts: typedTopic(topics.accounts, account),
  prices: typedTopic(topics.prices, priceEntry, { toWire: priceEntryToWire, fromWire: priceEntryFromWire }),
  payments: typedTopic(topics.payments, payment),
  usageHourly: typedTopic(topics.usageHourly, usageHourly),
  billingHourly: typedTopic(topics.billingHourly, billingHourly),
  emailNotifications: typedTopic(topics.emailNotifications, emailNotification),
  invoices: typedTopic(topics.invoices, invoice),
  abuseDecisions: typedTopic(topics.abuseDecisions, abuseDecision),
  accountActions: typedTopic(topics.accountActions, accountAction),
};
