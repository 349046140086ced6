import fastifyStatic from '@fastify/static';
import type { FastifyInstance } from 'fastify';
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The browser console's files in this package (ES modules, no build step): what `API_CONSOLE_DIR` names in a demo. */
export const CONSOLE_DIR = fileURLToPath(new URL('../console/', import.meta.url));

/** uPlot's ES module and stylesheet, served from the installed package so no copy goes stale and no CDN is needed. */
const UPLOT_DIST = dirname(createRequire(import.meta.url).resolve('uplot/dist/uPlot.esm.js'));

/**
 * Serves the console at `/` (its `index.html` and modules) and its chart library at `/vendor/uplot/`. Files are
 * routed as they are found at start-up (`wildcard: false`): an unknown path stays the API's 404 problem.
 *
 * @example
 * await registerConsole(app, CONSOLE_DIR); // GET / -> index.html, GET /vendor/uplot/uPlot.esm.js
 */
export async function registerConsole(app: FastifyInstance, dir: string): Promise<void> {
  await app.register(fastifyStatic, { root: dir, prefix: '/', wildcard: false });
  await app.register(fastifyStatic, {
    root: UPLOT_DIST,
    prefix: '/vendor/uplot/',
    wildcard: false,
    decorateReply: false,
    allowedPath: (path) => path === '/uPlot.esm.js' || path === '/uPlot.min.css',
  });
}
