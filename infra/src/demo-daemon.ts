import { daemon } from './daemon.ts';

/**
 * The running `./pnpm start` process, by its pid file, so that `./pnpm stop` can ask it to stop its services (SIGTERM)
 * before the servers they use go away.
 */
export const demoDaemon = daemon('demo');
