import type { AbuseDecision } from '@tally/records';

/**
 * What `tally abuse explain` prints: the account's status and why, then every transition with its evidence.
 *
 * @example
 * explainText(decision);
 * // account a-1: suspended since 2026-06-01T02:00:00.000Z (version 2)
 * // reason: mining on free credit: 3 hours near full vCPU
 * // 2026-06-01T00:00:00.000Z  good -> watch  possible mining on free credit
 * //     cpuRatio = 0.993 ...
 */
export function explainText(decision: AbuseDecision): string {
  const time = (millis: number) => new Date(millis).toISOString();
  const lines = [
    `account ${decision.accountId}: ${decision.status} since ${time(decision.sinceHour)} (version ${decision.version})`,
    `reason: ${decision.reason}`,
  ];
  if (decision.history.length === 0) lines.push('no transitions');
  for (const step of decision.history) {
    lines.push(`${time(step.hourStart)}  ${step.from} -> ${step.to}  ${step.reason}`);
    for (const item of step.evidence) lines.push(`    ${item.name} = ${item.value}`);
  }
  return `${lines.join('\n')}\n`;
}
