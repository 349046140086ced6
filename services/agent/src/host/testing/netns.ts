/**
 * Two "VMs" for the agent's kernel tests: network namespaces whose veth peers sit on the host, joined by a bridge
 * as libvirt joins taps. Every name carries a random tag, so parallel runs never collide; `remove` deletes it all
 * (namespaces take their veth ends with them; the host ends and the bridge are deleted explicitly).
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { promisify } from 'node:util';

const run = promisify(execFile);

async function ip(...args: string[]): Promise<string> {
  return (await run('ip', args)).stdout;
}

/** Why network namespaces cannot be used here, or undefined when they can (tried, not guessed). */
export async function netnsUnavailable(): Promise<string | undefined> {
  const probe = `tally-probe-${randomBytes(3).toString('hex')}`;
  try {
    await ip('netns', 'add', probe);
    await ip('netns', 'del', probe);
    return undefined;
  } catch (error) {
    return `ip netns is not permitted here (${error instanceof Error ? error.message.split('\n')[0] : String(error)})`;
  }
}

export interface VmPair {
  readonly tag: string;
  /** Host-side devices (what libvirt's <target dev> names), per VM. */
  readonly hostDevices: readonly [string, string];
  readonly namespaces: readonly [string, string];
  readonly addresses: readonly [string, string];
  remove(): Promise<void>;
}

/** No IPv6 on a device: no router solicitations or DAD packets to count besides the test's own traffic. */
async function noIpv6(device: string, namespace?: string): Promise<void> {
  const path = `/proc/sys/net/ipv6/conf/${device}/disable_ipv6`;
  if (namespace === undefined) await writeFile(path, '1').catch(() => undefined);
  else await run('ip', ['netns', 'exec', namespace, 'sh', '-c', `echo 1 > ${path} || true`]);
}

export async function createVmPair(): Promise<VmPair> {
  const tag = randomBytes(3).toString('hex');
  const bridge = `tb${tag}`;
  const hostDevices = [`tv${tag}a`, `tv${tag}b`] as const;
  const guestDevices = [`tg${tag}a`, `tg${tag}b`] as const;
  const namespaces = [`tally-${tag}-a`, `tally-${tag}-b`] as const;
  const addresses = ['10.251.0.1', '10.251.0.2'] as const;
  const created: (() => Promise<unknown>)[] = [];
  const remove = async () => {
    for (const undo of created.reverse()) await undo().catch(() => undefined);
  };
  try {
    await ip('link', 'add', bridge, 'type', 'bridge');
    created.push(() => ip('link', 'del', bridge));
    await noIpv6(bridge);
    await ip('link', 'set', bridge, 'up');
    for (const i of [0, 1] as const) {
      await ip('netns', 'add', namespaces[i]);
      created.push(() => ip('netns', 'del', namespaces[i]));
      await ip('link', 'add', hostDevices[i], 'type', 'veth', 'peer', 'name', guestDevices[i]);
      created.push(() => ip('link', 'del', hostDevices[i]));
      await noIpv6(hostDevices[i]);
      await ip('link', 'set', guestDevices[i], 'netns', namespaces[i]);
      await noIpv6('all', namespaces[i]);
      await noIpv6(guestDevices[i], namespaces[i]);
      await ip('-n', namespaces[i], 'addr', 'add', `${addresses[i]}/24`, 'dev', guestDevices[i]);
      await ip('-n', namespaces[i], 'link', 'set', guestDevices[i], 'up');
      await ip('-n', namespaces[i], 'link', 'set', 'lo', 'up');
      await ip('link', 'set', hostDevices[i], 'master', bridge);
      await ip('link', 'set', hostDevices[i], 'up');
    }
  } catch (error) {
    await remove();
    throw error;
  }
  return { tag, hostDevices, namespaces, addresses, remove };
}

/** Runs a Node script inside a namespace; resolves with its stdout. */
export async function inNamespace(namespace: string, script: string, args: readonly string[] = []): Promise<string> {
  const { stdout } = await run('ip', ['netns', 'exec', namespace, process.execPath, '-e', script, ...args], {
    timeout: 60_000,
  });
  return stdout;
}
