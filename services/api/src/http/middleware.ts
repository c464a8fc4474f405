import type { HttpBindings } from '@hono/node-server';
import type { Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { cors } from 'hono/cors';
import { requestId } from 'hono/request-id';
import { secureHeaders } from 'hono/secure-headers';
import type { ApiContext } from '../api-context.js';
import { appRouter } from '../trpc/app.router.js';
import { createCachedRead } from './cached-read.js';
import { payloadTooLarge } from './errors.js';

/** The variables every request carries through the Hono app. */
export type HttpEnv = { Bindings: Partial<HttpBindings>; Variables: { requestId: string } };

const UUID_SEGMENT = /\/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}(?=\/|$)/gi;
const KNOWN_ROUTES = new Set([
  '/healthz',
  '/readyz',
  '/readyz/all',
  '/metrics',
  '/openapi.json',
  '/products',
  '/products/:id',
  '/products/:id/images',
  '/products/:id/reprocess',
  '/products/:id/images/:id/original',
  '/dev/token',
  '/console',
  '/products/:id/uploads',
  '/uploads/:id/complete',
  '/bulk/preview',
  '/bulk/jobs',
  '/bulk/jobs/:id',
  '/bulk/jobs/:id/pause',
  '/bulk/jobs/:id/resume',
  '/bulk/jobs/:id/cancel',
  '/bulk/dlq-count',
]);
const PROCEDURES = new Set(Object.keys(appRouter._def.procedures));

/** A bounded route label for metrics: unknown paths and procedures never become new series. */
export function routeLabel(path: string): string {
  if (path.startsWith('/trpc/')) {
    const name = path.slice('/trpc/'.length);
    if (name.includes(',')) return '/trpc/(batch)';
    return PROCEDURES.has(name) ? path : '/trpc/(unknown)';
  }
  // Every console path (pages, hashed assets) is one series.
  if (path === '/console' || path.startsWith('/console/')) return '/console';
  const route = path.replace(UUID_SEGMENT, '/:id');
  return KNOWN_ROUTES.has(route) ? route : '(unmatched)';
}

export function isMultipart(contentType: string | undefined): boolean {
  return contentType?.toLowerCase().startsWith('multipart/form-data') ?? false;
}

/** The two routes that accept image files: REST `POST /products/:id/images` and its tRPC twin. */
function isUploadRoute(path: string): boolean {
  return /^\/products\/[^/]+\/images\/?$/.test(path) || path === '/trpc/products.uploadImages';
}

/**
 * Request id, metrics and request log, the cached-read fast path, secure headers, CORS and body
 * limits, in that order.
 */
export function useMiddleware(app: Hono<HttpEnv>, ctx: ApiContext): void {
  const { config, logger, metrics } = ctx;
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
  const secure = secureHeaders();
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
    allowHeaders: ['Authorization', 'Content-Type', 'X-Request-Id', 'Last-Event-ID'],
    allowMethods: ['GET', 'POST', 'PATCH', 'DELETE', 'OPTIONS'],
    exposeHeaders: ['X-Request-Id'],
    maxAge: 600,
  });
  app.use((c, next) => (c.req.header('origin') === undefined ? next() : corsMiddleware(c, next)));
  const jsonLimit = bodyLimit({
    maxSize: config.http.bodyLimitBytes,
    onError: (c) => {
      // The rest of the body is never read: a kept-alive socket would parse it as the next request.
      c.header('Connection', 'close');
      throw payloadTooLarge(config.http.bodyLimitBytes);
    },
  });
  const uploadLimit = bodyLimit({
    maxSize: config.uploads.maxRequestBytes,
    onError: (c) => {
      // The rest of the body is never read: a kept-alive socket would parse it as the next request.
      c.header('Connection', 'close');
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
}
