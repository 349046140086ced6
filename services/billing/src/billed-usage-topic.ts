import { typedTopic, type TopicSpec, type TypedTopic } from '@tally/kafka';
import { usageHourly, type UsageHourly } from '@tally/records';

/**
 * usage.hourly as billing reads it: every field validated, except the counted slots, which are dropped before
 * validation. They are metering's duplicate check (up to 64 interfaces × 120 slot indexes a record, checked by
 * metering's codec when it encodes); billing never reads them and stores records without them (usage-table.ts), and
 * checking every index again was about a tenth of a month rebuild's CPU.
 */
export function billedUsageTopic(spec: TopicSpec): TypedTopic<UsageHourly> {
  return typedTopic(spec, usageHourly, { fromWire: withoutCounted });
}

function withoutCounted(wire: unknown): unknown {
  if (typeof wire !== 'object' || wire === null || !('counted' in wire)) return wire;
  return { ...wire, counted: [] };
}
