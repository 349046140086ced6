import rateLimit from '@fastify/rate-limit';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyError, type FastifyInstance } from 'fastify';
import {
  hasZodFastifySchemaValidationErrors,
  jsonSchemaTransform,
  jsonSchemaTransformObject,
  serializerCompiler,
  validatorCompiler,
} from 'fastify-type-provider-zod';
import { createHash } from 'node:crypto';
import { authenticate, bearerOf } from './auth.ts';
import { registerConsole } from './console-static.ts';
import type { ApiDeps } from './deps.ts';
import { HttpProblem, PROBLEM_TYPE, problem } from './problem.ts';
import { abuseRoutes } from './routes/abuse.ts';
import { accountRoutes } from './routes/accounts.ts';
import { instanceHourRoutes } from './routes/instance-hour.ts';
import { invoiceRoutes } from './routes/invoices.ts';
import { opsRoutes } from './routes/ops.ts';
import { tokenRoutes } from './routes/tokens.ts';
import { usageRoutes } from './routes/usage.ts';

/** One registered route: what the 401/403 tests and the README's table are checked against. */
export interface RouteInfo {
  readonly method: string;
  readonly url: string;
  readonly roles: readonly string[] | undefined;
}

/**
 * The API as a Fastify instance, not listening: routes, validation, OpenAPI, problem+json errors, per-token rate
 * limit, one log line per request naming the token. `routes` fills as routes register (after `ready()`).
 *
 * @example
 * const { app } = await buildApp(deps);
 * await app.inject({ url: '/v1/me', headers: { authorization: `Bearer ${token}` } });
 */
export async function buildApp(deps: ApiDeps): Promise<{ app: FastifyInstance; routes: RouteInfo[] }> {
  const app = Fastify({
    // As the base type: with pino's own Logger type, the instance's generics no longer fit FastifyInstance.
    // eslint-disable-next-line @typescript-eslint/no-unnecessary-type-assertion
    loggerInstance: deps.log as FastifyBaseLogger,
    // One line per request is written below, with the token's name; Fastify's own two lines would not have it.
    logController: new LogController({ disableRequestLogging: true }),
    // Ids are per process: enough to match a problem's log line.
    genReqId: () => createHash('sha256').update(String(Math.random())).digest('hex').slice(0, 12),
  });
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);

  const routes: RouteInfo[] = [];
  app.addHook('onRoute', (route) => {
    if (route.url.startsWith('/v1/')) {
      for (const method of [route.method].flat()) {
        if (method !== 'HEAD') routes.push({ method, url: route.url, roles: route.config?.roles });
      }
    }
  });

  app.setErrorHandler((error: FastifyError | HttpProblem, request, reply) => {
    const instance = request.url.split('?')[0] ?? request.url;
    let body;
    if (hasZodFastifySchemaValidationErrors(error)) {
      body = problem(400, instance, 'the request does not match the route schema', {
        errors: error.validation.map((issue) => ({
          path:
            (issue.params as { issue?: { path?: PropertyKey[] } }).issue?.path?.map(String).join('.') ??
            issue.instancePath.replace(/^\//, '').replaceAll('/', '.'),
          message: issue.message ?? 'invalid',
        })),
      });
      body.detail = `${error.validationContext ?? 'request'}: ${body.errors!.map((e) => `${e.path} ${e.message}`).join('; ')}`;
    } else {
      // Every pooled connection busy for longer than the pool waits: overload, not a fault; the caller may retry.
      const busy = /timeout exceeded when trying to connect/i.test(error.message);
      if (busy) void reply.header('retry-after', '1');
      const status = busy ? 503 : error.statusCode !== undefined && error.statusCode >= 400 ? error.statusCode : 500;
      if (status >= 500) request.log.error({ err: error }, 'request failed');
      // A client error's message is ours (or Fastify's about the request); a server error's may name internals.
      body = problem(
        status,
        instance,
        status >= 500 ? `see the API's log, request ${request.id}` : error.message,
        error instanceof HttpProblem ? { type: error.type } : {},
      );
    }
    void reply.code(body.status).type(PROBLEM_TYPE).send(JSON.stringify(body));
  });
  app.setNotFoundHandler((request, reply) => {
    const instance = request.url.split('?')[0] ?? request.url;
    void reply
      .code(404)
      .type(PROBLEM_TYPE)
      .send(JSON.stringify(problem(404, instance, `no route ${request.method} ${instance}`)));
  });

  app.addHook('onResponse', (request, reply, done) => {
    request.log.info(
      {
        method: request.method,
        url: request.url,
        status: reply.statusCode,
        ms: Math.round(reply.elapsedTime * 10) / 10,
        tokenName: request.token?.name ?? null,
        role: request.token?.role ?? null,
      },
      'request',
    );
    done();
  });

  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Tally API',
        version: '1.0.0',
        description:
          'Usage, invoices and pipeline health for finance, support and operators. Errors are RFC 9457 problem+json.',
      },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
      security: [{ bearer: [] }],
    },
    transform: jsonSchemaTransform,
    transformObject: jsonSchemaTransformObject,
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });

  // Keyed by the presented token (its hash: a key may be logged or kept in memory) or, without one, the address;
  // registered before authentication, so floods of bad tokens are limited too.
  await app.register(rateLimit, {
    max: deps.rateLimitPerMinute,
    timeWindow: 60_000,
    keyGenerator: (request) => {
      const bearer = bearerOf(request.headers.authorization);
      return bearer === undefined ? `ip:${request.ip}` : `token:${createHash('sha256').update(bearer).digest('hex')}`;
    },
    allowList: (request) => !request.url.startsWith('/v1/'),
  });
  app.addHook('onRequest', authenticate(deps.tokens));

  app.get('/healthz', { schema: { hide: true } }, () => ({ ok: true }));
  app.get('/openapi.json', { schema: { hide: true } }, () => app.swagger());

  await app.register((v1, _options, done) => {
    accountRoutes(v1, deps);
    usageRoutes(v1, deps);
    instanceHourRoutes(v1, deps);
    invoiceRoutes(v1, deps);
    opsRoutes(v1, deps);
    tokenRoutes(v1, deps);
    abuseRoutes(v1, deps);
    done();
  });

  if (deps.consoleDir !== undefined) {
    await registerConsole(app, deps.consoleDir);
  }
  return { app, routes };
}
