/**
 * The agent process: `AGENT_MODE=host` is the agent installed on a hypervisor (host/host-main.ts: libvirt domains,
 * kernel counters, spool, health); `simulate` (the default) runs a simulated fleet (simulator-main.ts). Each mode
 * loads its own configuration, so only the chosen one is imported.
 */
const mode = process.env['AGENT_MODE'] ?? 'simulate';
if (mode === 'host') {
  const { main } = await import('./host/host-main.ts');
  await main();
} else if (mode === 'simulate') {
  await import('./simulator-main.ts');
} else {
  console.error(`AGENT_MODE must be "host" or "simulate", not ${JSON.stringify(mode)}`);
  process.exit(2);
}
