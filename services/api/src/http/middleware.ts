import type { IncomingMessage } from 'node:http';
import type { HttpBindings } from '@hono/node-server';
import type { Hono, MiddlewareHandler } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { cors } from 'hono/cors';
import { secureHeaders } from 'hono/secure-headers';
import type { ApiContext } from '../api-context.js';
import { payloadTooLarge } from './errors.js';
import { REQUEST_ID_HEADER, type RequestRecorder, requestIdFrom } from './request-record.js';
import type { RouteTable } from './route-table.js';

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
  routes: RouteTable,
): void {
  const { config } = ctx;
  app.use(async (c, next) => {
    const requestId = requestIdFrom(c.req.header(REQUEST_ID_HEADER));
    c.set('requestId', requestId);
    c.header(REQUEST_ID_HEADER, requestId);
    const started = performance.now();
    await next();
    record(
      { route: routes.label(c.req.path), method: c.req.method, status: String(c.res.status) },
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
  const limitTo = (maxSize: number) =>
    bodyLimit({
      maxSize,
      onError: (c) => {
        if (!discardsRestOfBody(c.env?.incoming, maxSize)) c.header('Connection', 'close');
        throw payloadTooLarge(maxSize);
      },
    });
  const jsonLimit = limitTo(config.http.bodyLimitBytes);
  const uploadLimit = limitTo(config.uploads.maxRequestBytes);
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
