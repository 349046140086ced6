import { createServer } from 'node:net';
import { run } from './run-command.ts';

/** True when nothing listens on 127.0.0.1:port. */
export function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/** Names the process holding a port, for an error a person can act on. */
export async function portHolder(port: number): Promise<string> {
  try {
    const out = await run('ss', ['-ltnpH', `sport = :${port}`]);
    const match = /users:\(\("([^"]+)",pid=(\d+)/.exec(out);
    return match ? `${match[1]} (pid ${match[2]})` : 'another process';
  } catch {
    return 'another process';
  }
}
