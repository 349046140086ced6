import { createServer } from 'node:net';
import { describe, expect, it } from 'vitest';
import { portHolder, portIsFree } from './ports.ts';

describe('ports', () => {
  it('says a port is taken and names the process holding it', async () => {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    const port = typeof address === 'object' && address ? address.port : 0;
    try {
      expect(await portIsFree(port)).toBe(false);
      // ss shows the kernel's process name, which vitest workers rename ("node (vitest 1").
      expect(await portHolder(port)).toMatch(new RegExp(`^node.* \\(pid ${process.pid}\\)$`));
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
    expect(await portIsFree(port)).toBe(true);
  });
});
