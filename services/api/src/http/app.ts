import type { TRPCError } from '@trpc/server';
import { fetchRequestHandler } from '@trpc/server/adapters/fetch';
import { ERROR_CODES, type ErrorCode } from '@zocket/contracts';
import { outboxBacklog } from '@zocket/db';
import { Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { cors } from 'hono/cors';
import { requestId } from 'hono/request-id';
import { secureHeaders } from 'hono/secure-headers';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { sql } from 'kysely';
import type { ApiContext } from '../api-context.js';
import { filesFromForm, parseProductId, uploadImages } from '../products/products.service.js';
import { appRouter } from '../trpc/app.router.js';
import type { TrpcContext } from '../trpc/trpc.js';
import { createCachedRead } from './cached-read.js';
import { errorResponse, handleError, payloadTooLarge } from './errors.js';
import { buildOpenApiDocument } from './openapi.js';
import { createRestHandler } from './rest-handler.js';

const UUID_SEGMENT = /\/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}(?=\/|$)/gi;
const KNOWN_ROUTES = new Set([
  '/healthz',
  '/readyz',
  '/metrics',
  '/openapi.json',
  '/products',
  '/products/:id',
  '/products/:id/images',
  '/products/:id/reprocess',
]);
const PROCEDURES = new Set(Object.keys(appRouter._def.procedures));

/** A bounded route label for metrics: unknown paths and procedures never become new series. */
function routeLabel(path: string): string {
  if (path.startsWith('/trpc/')) {
    const name = path.slice('/trpc/'.length);
    if (name.includes(',')) return '/trpc/(batch)';
    return PROCEDURES.has(name) ? path : '/trpc/(unknown)';
  }
  const route = path.replace(UUID_SEGMENT, '/:id');
  return KNOWN_ROUTES.has(route) ? route : '(unmatched)';
}

function isMultipart(contentType: string | undefined): boolean {
  return contentType?.toLowerCase().startsWith('multipart/form-data') ?? false;
}

/** The two routes that accept image files: REST `POST /products/:id/images` and its tRPC twin. */
function isUploadRoute(path: string): boolean {
  return /^\/products\/[^/]+\/images\/?$/.test(path) || path === '/trpc/products.uploadImages';
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  return Promise.race([
    promise,
    new Promise<T>((_, reject) =>
      setTimeout(() => reject(new Error(`timed out after ${ms} ms`)), ms).unref(),
    ),
  ]);
}

/** The HTTP surface: tRPC at /trpc, its REST twin, uploads, health, metrics, OpenAPI. */
export function createHttpApp(ctx: ApiContext) {
  const { config, logger, metrics } = ctx;
  const app = new Hono<{ Variables: { requestId: string } }>();

  const createContext = (authorization: string | undefined, id: string): TrpcContext => {
    let user: ReturnType<TrpcContext['user']> | undefined;
    return {
      api: ctx,
      requestId: id,
      user: () => {
        user ??= ctx.authenticate(authorization);
        return user;
      },
    };
  };
  const logProcedureError = (error: TRPCError, requestId: string | undefined, path?: string) => {
    if (error.code === 'INTERNAL_SERVER_ERROR') {
      logger.error({ err: error.cause ?? error, path, requestId }, 'procedure failed');
    }
  };
  const rest = createRestHandler((error, trpcCtx) => logProcedureError(error, trpcCtx?.requestId));

  const secure = secureHeaders();
  app.use(requestId({ headerName: 'X-Request-Id' }));
  app.use(async (c, next) => {
    const started = performance.now();
    await next();
    const labels = {
      route: routeLabel(c.req.path),
      method: c.req.method,
      status: String(c.res.status),
    };
    metrics.httpRequests.inc(labels);
    metrics.httpDuration.observe(labels, (performance.now() - started) / 1000);
    if (c.res.status >= 500) {
      logger.warn({ requestId: c.get('requestId'), ...labels }, 'request failed');
    } else {
      logger.debug({ requestId: c.get('requestId'), ...labels }, 'request');
    }
  });
  // Cached reads: a hit is answered from Redis as stored, with every header the middleware below
  // would set (cached-read.ts); the rest falls through.
  const cachedRead = createCachedRead(ctx.cache, config.redis.cacheEnabled, secure);
  app.use('/trpc/products.byId', async (c, next) => {
    const hit = c.req.method === 'GET' ? await cachedRead.trpc(c) : undefined;
    if (hit !== undefined) return hit;
    await next();
  });
  app.use('/products/:id', async (c, next) => {
    const hit = c.req.method === 'GET' ? await cachedRead.rest(c, c.req.param('id')) : undefined;
    if (hit !== undefined) return hit;
    await next();
  });

  app.use(secure);
  // CORS only concerns browsers, which always send Origin; skipping it otherwise keeps
  // server-to-server requests on @hono/node-server's fast response path (measured: 3-7x).
  const corsMiddleware = cors({
    origin: config.http.corsOrigins,
    allowHeaders: ['Authorization', 'Content-Type', 'X-Request-Id'],
    allowMethods: ['GET', 'POST', 'PATCH', 'DELETE', 'OPTIONS'],
    exposeHeaders: ['X-Request-Id'],
    maxAge: 600,
  });
  app.use((c, next) => (c.req.header('origin') === undefined ? next() : corsMiddleware(c, next)));
  const jsonLimit = bodyLimit({
    maxSize: config.http.bodyLimitBytes,
    onError: () => {
      throw payloadTooLarge(config.http.bodyLimitBytes);
    },
  });
  const uploadLimit = bodyLimit({
    maxSize: config.uploads.maxRequestBytes,
    onError: () => {
      throw payloadTooLarge(config.uploads.maxRequestBytes);
    },
  });
  app.use((c, next) => {
    // Only requests that may carry a body pay for the check (it materialises the request).
    if (c.req.method === 'GET' || c.req.method === 'HEAD' || c.req.method === 'OPTIONS')
      return next();
    // Only the upload routes get the larger multipart limit; any other body is held to the JSON one.
    return isUploadRoute(c.req.path) && isMultipart(c.req.header('content-type'))
      ? uploadLimit(c, next)
      : jsonLimit(c, next);
  });
  app.onError((error, c) =>
    handleError(error, c, (e) =>
      logger.error({ err: e, requestId: c.get('requestId') }, 'unhandled error'),
    ),
  );
  app.notFound((c) => errorResponse(c, 'NOT_FOUND', `no route for ${c.req.method} ${c.req.path}`));

  app.get('/healthz', (c) => c.json({ status: 'ok' }));

  app.get('/readyz', async (c) => {
    const check = async (run: () => Promise<unknown>) => {
      try {
        await withTimeout(run(), 2_000);
        return 'ok';
      } catch (error) {
        return error instanceof Error ? error.message : 'unavailable';
      }
    };
    const admin = ctx.kafka.admin();
    const [postgres, redis, kafka] = await Promise.all([
      check(() => sql`select 1`.execute(ctx.db)),
      check(() => ctx.redis.ping()),
      check(async () => {
        await admin.connect();
        try {
          await admin.describeCluster();
        } finally {
          await admin.disconnect();
        }
      }),
    ]);
    const ready = postgres === 'ok' && redis === 'ok' && kafka === 'ok';
    return c.json(
      { status: ready ? 'ready' : 'not ready', postgres, redis, kafka },
      ready ? 200 : 503,
    );
  });

  app.get('/metrics', async (c) => {
    try {
      const backlog = await outboxBacklog(ctx.db);
      metrics.outboxBacklog.set(backlog.count);
      metrics.outboxOldestAge.set(backlog.oldestAgeSeconds);
    } catch (error) {
      logger.warn({ err: error }, 'cannot read the outbox backlog for metrics');
    }
    return c.text(await metrics.render(), 200, {
      'Content-Type': metrics.registry.contentType,
    });
  });

  const openApiDocument = buildOpenApiDocument(`http://${config.http.host}:${config.http.port}`);
  app.get('/openapi.json', (c) => c.json(openApiDocument));

  app.all('/trpc/*', (c) =>
    fetchRequestHandler({
      endpoint: '/trpc',
      req: c.req.raw,
      router: appRouter,
      // Each call in a batch is a procedure run: a bound keeps one request from fanning out.
      maxBatchSize: config.http.trpcMaxBatchSize,
      createContext: () => createContext(c.req.header('authorization'), c.get('requestId')),
      onError: ({ error, path }) => logProcedureError(error, c.get('requestId'), path),
    }),
  );

  app.post('/products/:id/images', async (c) => {
    const trpcCtx = createContext(c.req.header('authorization'), c.get('requestId'));
    const user = await trpcCtx.user();
    if (user === null) return errorResponse(c, 'UNAUTHORIZED', 'a bearer token is required');
    if (!isMultipart(c.req.header('content-type'))) {
      return errorResponse(
        c,
        'UNSUPPORTED_MEDIA_TYPE',
        'expected multipart/form-data with field "files"',
      );
    }
    const id = c.req.param('id');
    let form: FormData;
    try {
      form = await c.req.formData();
    } catch {
      return errorResponse(c, 'BAD_REQUEST', 'malformed multipart body');
    }
    const product = await uploadImages(
      ctx,
      { user, requestId: c.get('requestId') },
      parseProductId(id),
      await filesFromForm(form),
    );
    return c.json(product);
  });

  // Everything else is the REST twin of the procedures, reshaped to the one error body.
  app.all('*', async (c) => {
    const method = c.req.method;
    let body: unknown;
    let contentType = c.req.header('content-type');
    if (method !== 'GET' && method !== 'HEAD') {
      const text = await c.req.text();
      if (text.trim() === '') {
        // Actions whose input is all in the path (POST /products/{id}/reprocess) come without a
        // body; the handler would refuse a missing content type, so they get an empty object.
        body = {};
        contentType = 'application/json';
      } else if (contentType?.toLowerCase().startsWith('application/json')) {
        try {
          body = JSON.parse(text);
        } catch {
          return errorResponse(c, 'BAD_REQUEST', 'malformed JSON body');
        }
      }
    }
    // The raw path and query, still percent-encoded, as the handler expects them.
    const url = c.req.url;
    const pathAndQuery = url.slice(url.indexOf('/', url.indexOf('//') + 2));
    const result = await rest(
      {
        method,
        pathAndQuery,
        contentType,
        body,
        signal: c.req.raw.signal,
      },
      createContext(c.req.header('authorization'), c.get('requestId')),
    );
    if (result.status < 400) {
      return c.body(result.body ?? '', result.status as ContentfulStatusCode, {
        'content-type': 'application/json',
      });
    }
    const error = JSON.parse(result.body ?? '{}') as {
      message?: string;
      data?: { appCode?: string; fields?: Record<string, string[]> | null };
    };
    const appCode = error.data?.appCode;
    if (appCode !== undefined && (ERROR_CODES as readonly string[]).includes(appCode)) {
      return errorResponse(
        c,
        appCode as ErrorCode,
        error.message ?? 'error',
        error.data?.fields ?? undefined,
      );
    }
    if (result.status === 404) {
      return errorResponse(c, 'NOT_FOUND', `no route for ${method} ${c.req.path}`);
    }
    return errorResponse(
      c,
      result.status === 400 ? 'BAD_REQUEST' : 'INTERNAL',
      error.message ?? 'error',
    );
  });

  return app;
}
