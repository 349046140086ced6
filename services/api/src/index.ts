// The HTTP API for finance, support and operators (README.md lists every route). main.ts runs it; startApi lets
// another process (the demo's `pnpm start`) run it in-process.
export { apiEnv, type ApiConfig } from './config.ts';
export { startApi, type RunningApi } from './start.ts';
export { buildApp, type RouteInfo } from './app.ts';
export { CONSOLE_DIR } from './console-static.ts';
export type { ApiDeps } from './deps.ts';
export type { OpsSource } from './ops-source.ts';
