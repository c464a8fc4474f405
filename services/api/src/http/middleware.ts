import type { IncomingMessage } from 'node:http';
import type { HttpBindings } from '@hono/node-server';
import type { Hono, MiddlewareHandler } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { cors } from 'hono/cors';
import { secureHeaders } from 'hono/secure-headers';
import type { ApiContext } from '../api-context.js';
import { appRouter } from '../trpc/app.router.js';
import { payloadTooLarge } from './errors.js';
import { REQUEST_ID_HEADER, type RequestRecorder, requestIdFrom } from './request-record.js';

/** The variables every request carries through the Hono app. */
/**
 * Whether a refused body is left for Node to read and drop after the 413, keeping the connection:
 * only one whose length was declared, not read at all, and at most twice the limit. A client
 * still sending it (Node's fetch does not read a response before its body is sent) then gets the
 * 413 rather than a reset connection. Anything else is answered with `Connection: close`: a body
 * read in part would be parsed as the next request, and a huge one is not worth receiving.
 */
function discardsRestOfBody(incoming: IncomingMessage | undefined, limit: number): boolean {
  const declared = Number(incoming?.headers['content-length']);
  return (
    incoming !== undefined &&
    !incoming.readableDidRead &&
    Number.isSafeInteger(declared) &&
    declared <= 2 * limit
  );
}

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
  '/shop',
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
  if (path === '/shop' || path.startsWith('/shop/')) return '/shop';
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

/** The security headers of every answer (the cached-read fast path sends the same ones). */
export function createSecureHeaders(): MiddlewareHandler {
  return secureHeaders();
}

/**
 * Request id, metrics and request log, secure headers, CORS and body limits, in that order.
 * Cached reads that hit are answered before the app (cached-read.ts) with the same request id,
 * metrics, log line and security headers.
 */
export function useMiddleware(
  app: Hono<HttpEnv>,
  ctx: ApiContext,
  secure: MiddlewareHandler,
  record: RequestRecorder,
): void {
  const { config } = ctx;
  app.use(async (c, next) => {
    const requestId = requestIdFrom(c.req.header(REQUEST_ID_HEADER));
    c.set('requestId', requestId);
    c.header(REQUEST_ID_HEADER, requestId);
    const started = performance.now();
    await next();
    record(
      { route: routeLabel(c.req.path), method: c.req.method, status: String(c.res.status) },
      started,
      requestId,
    );
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
      if (!discardsRestOfBody(c.env?.incoming, config.http.bodyLimitBytes)) {
        c.header('Connection', 'close');
      }
      throw payloadTooLarge(config.http.bodyLimitBytes);
    },
  });
  const uploadLimit = bodyLimit({
    maxSize: config.uploads.maxRequestBytes,
    onError: (c) => {
      if (!discardsRestOfBody(c.env?.incoming, config.uploads.maxRequestBytes)) {
        c.header('Connection', 'close');
      }
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
