import { fetchRequestHandler } from '@trpc/server/adapters/fetch';
import { ERROR_CODES, type ErrorCode } from '@zocket/contracts';
import { outboxBacklog } from '@zocket/db';
import { Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { cors } from 'hono/cors';
import { requestId } from 'hono/request-id';
import { secureHeaders } from 'hono/secure-headers';
import { sql } from 'kysely';
import { createOpenApiFetchHandler } from 'trpc-to-openapi';
import type { AppContext } from '../app-context.js';
import { uploadImages } from '../products/products.service.js';
import { appRouter } from '../trpc/app.router.js';
import { filesFromForm } from '../trpc/products.router.js';
import type { TrpcContext } from '../trpc/trpc.js';
import { errorResponse, handleError, payloadTooLarge } from './errors.js';
import { buildOpenApiDocument } from './openapi.js';

const REST_PREFIX = '/__rest';
const UUID_SEGMENT = /\/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}(?=\/|$)/gi;

/** A low-cardinality route label for metrics. */
function routeLabel(path: string): string {
  if (path.startsWith('/trpc/')) return path.split('?')[0] ?? path;
  return path.replace(UUID_SEGMENT, '/:id');
}

function isMultipart(contentType: string | undefined): boolean {
  return contentType?.toLowerCase().startsWith('multipart/form-data') ?? false;
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
export function createHttpApp(ctx: AppContext) {
  const { config, logger, metrics } = ctx;
  const app = new Hono<{ Variables: { requestId: string } }>();

  const createContext = (req: Request, id: string): TrpcContext => {
    let user: ReturnType<TrpcContext['user']> | undefined;
    return {
      app: ctx,
      requestId: id,
      user: () => {
        user ??= ctx.authenticate(req.headers.get('authorization') ?? undefined);
        return user;
      },
    };
  };

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
  app.use(secureHeaders());
  app.use(
    cors({
      origin: config.http.corsOrigins,
      allowHeaders: ['Authorization', 'Content-Type', 'X-Request-Id'],
      allowMethods: ['GET', 'POST', 'PATCH', 'DELETE', 'OPTIONS'],
      exposeHeaders: ['X-Request-Id'],
      maxAge: 600,
    }),
  );
  app.use(async (c, next) => {
    const limit = isMultipart(c.req.header('content-type'))
      ? config.uploads.maxRequestBytes
      : config.http.bodyLimitBytes;
    return bodyLimit({
      maxSize: limit,
      onError: () => {
        throw payloadTooLarge(limit);
      },
    })(c, next);
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
    return c.text(await metrics.registry.metrics(), 200, {
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
      createContext: () => createContext(c.req.raw, c.get('requestId')),
      onError: ({ error, path }) => {
        if (error.code === 'INTERNAL_SERVER_ERROR') {
          logger.error(
            { err: error.cause ?? error, path, requestId: c.get('requestId') },
            'procedure failed',
          );
        }
      },
    }),
  );

  app.post('/products/:id/images', async (c) => {
    const trpcCtx = createContext(c.req.raw, c.get('requestId'));
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
    if (!/^[0-9a-f-]{36}$/i.test(id)) {
      return errorResponse(c, 'VALIDATION_FAILED', 'invalid input', { id: ['must be a UUID'] });
    }
    const product = await uploadImages(
      ctx,
      { user, requestId: c.get('requestId') },
      id,
      await filesFromForm(form),
    );
    return c.json(product);
  });

  // Everything else is the REST twin of the procedures, reshaped to the one error body.
  app.all('*', async (c) => {
    // The handler strips its endpoint from the URL, so it gets one under a private prefix.
    const url = new URL(c.req.url);
    const hasBody = c.req.method !== 'GET' && c.req.method !== 'HEAD';
    let requestBody = hasBody ? await c.req.arrayBuffer() : undefined;
    const headers = new Headers(c.req.raw.headers);
    // Actions whose input is all in the path (POST /products/{id}/reprocess) are sent without a
    // body; the handler would refuse that as a missing content type, so it gets an empty object.
    if (requestBody !== undefined && requestBody.byteLength === 0) {
      requestBody = new TextEncoder().encode('{}').buffer as ArrayBuffer;
      headers.set('content-type', 'application/json');
    }
    const req = new Request(`${url.origin}${REST_PREFIX}${url.pathname}${url.search}`, {
      method: c.req.method,
      headers,
      ...(requestBody === undefined ? {} : { body: requestBody }),
    });
    const response = await createOpenApiFetchHandler({
      endpoint: REST_PREFIX,
      req,
      router: appRouter,
      createContext: () => createContext(c.req.raw, c.get('requestId')),
      onError: ({ error }) => {
        if (error.code === 'INTERNAL_SERVER_ERROR') {
          logger.error(
            { err: error.cause ?? error, requestId: c.get('requestId') },
            'procedure failed',
          );
        }
      },
    });
    if (response.status < 400) return response;
    const body = (await response.json().catch(() => ({}))) as {
      message?: string;
      data?: { appCode?: string; fields?: Record<string, string[]> | null };
    };
    const appCode = body.data?.appCode;
    if (appCode !== undefined && (ERROR_CODES as readonly string[]).includes(appCode)) {
      return errorResponse(
        c,
        appCode as ErrorCode,
        body.message ?? 'error',
        body.data?.fields ?? undefined,
      );
    }
    if (response.status === 404) {
      return errorResponse(c, 'NOT_FOUND', `no route for ${c.req.method} ${c.req.path}`);
    }
    return errorResponse(
      c,
      response.status === 400 ? 'BAD_REQUEST' : 'INTERNAL',
      body.message ?? 'error',
    );
  });

  return app;
}
