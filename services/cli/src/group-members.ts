import type { Admin } from 'kafkajs';

export interface LiveGroup {
  readonly group: string;
  readonly state: string;
  /** `clientId@host` of each member. */
  readonly members: readonly string[];
}

/**
 * The groups that have live members now (a running consumer of that group). Rewinding offsets under a live
 * member would race it: it keeps its position in memory and stores its next batch over the rewind.
 *
 * @example
 * await liveGroups(admin, ['billing', 'billing-prices']); // [{ group: 'billing', state: 'Stable', members: ['billing@/127.0.0.1'] }]
 */
export async function liveGroups(admin: Admin, groups: readonly string[]): Promise<LiveGroup[]> {
  if (groups.length === 0) return [];
  const { groups: described } = await admin.describeGroups([...new Set(groups)]);
  return described
    .filter((g) => g.members.length > 0)
    .map((g) => ({ group: g.groupId, state: g.state, members: g.members.map((m) => `${m.clientId}@${m.clientHost}`) }));
}

/** The refusal operators read. */
export function formatLiveGroups(live: readonly LiveGroup[]): string {
  const lines = live.map((g) => `  ${g.group} (${g.state}): ${g.members.length} live members: ${g.members.join(', ')}`);
  return `refusing to replay: consumer groups have live members; stop the service first.\n${lines.join('\n')}\n`;
}
