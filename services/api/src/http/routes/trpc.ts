import type { ServerResponse } from 'node:http';
import { TRPCError } from '@trpc/server';
import { fetchRequestHandler } from '@trpc/server/adapters/fetch';
import { getErrorShape, type TRPC_ERROR_CODE_KEY } from '@trpc/server/unstable-core-do-not-import';
import { Hono } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import type { OpenApiRouter } from 'trpc-to-openapi';
import type { ApiContext } from '../../api-context.js';
import { isDirectInput, openProductStream } from '../../live/product-stream.js';
import { capturedHeaders } from '../cached-read.js';
import { createSecureHeaders, type HttpEnv } from '../middleware.js';
import { clientOf, createRequestContext, logProcedureError } from '../request-context.js';
import { decodeUtf8Body, isJsonContentType, NOT_UTF8 } from '../utf8-body.js';

const ON_CHANGE_PATH = '/trpc/products.onChange';
/** @hono/node-server leaves a response with this header alone: the handler wrote it already. */
const ALREADY_SENT = 'x-hono-already-sent';

/** The tRPC router at `/trpc` (batching on, bounded). */
export function trpcRoutes(ctx: ApiContext, router: OpenApiRouter) {
  const routes = new Hono<HttpEnv>();
  const maxBatchSize = ctx.config.http.trpcMaxBatchSize;
  const security = capturedHeaders(createSecureHeaders());
  routes.all('/trpc/*', async (c) => {
    const requestCtx = () =>
      createRequestContext(ctx, c.req.header('authorization'), c.get('requestId'), clientOf(c.env));
    // Refused here, before tRPC makes a context (its own answer would carry no request id), in
    // tRPC's error shape made by the same formatter, with the context.
    const refuse = (code: TRPC_ERROR_CODE_KEY, message: string, status: ContentfulStatusCode) => {
      const error = new TRPCError({ code, message });
      const shape = getErrorShape({
        config: router._def._config,
        error,
        type: 'unknown',
        path: undefined,
        input: undefined,
        ctx: requestCtx(),
      });
      return c.json({ error: shape }, status);
    };
    // tRPC would answer any other method 415 "missing content-type"; browsers' preflights are
    // answered by the CORS middleware before this.
    if (c.req.method !== 'GET' && c.req.method !== 'POST') {
      c.header('Allow', 'GET, POST');
      return refuse('METHOD_NOT_SUPPORTED', `${c.req.method} is not allowed on /trpc`, 405);
    }
    if (c.req.query('batch') === '1') {
      const calls = c.req.path.slice('/trpc/'.length).split(',').length;
      if (calls > maxBatchSize) {
        return refuse(
          'BAD_REQUEST',
          `Batch call exceeds maximum size (${calls} > ${maxBatchSize})`,
          400,
        );
      }
    }
    // products.onChange is written straight to the socket (live/product-stream.ts); in-process
    // requests (`app.request`), batches and inputs tRPC must refuse take tRPC's own handler.
    const outgoing = c.env?.outgoing;
    const rawInput = c.req.query('input');
    if (
      c.req.method === 'GET' &&
      c.req.path === ON_CHANGE_PATH &&
      outgoing !== undefined &&
      c.req.query('batch') === undefined &&
      c.req.query('connectionParams') === undefined &&
      isDirectInput(rawInput)
    ) {
      const headers: [string, string][] = Object.entries(await security);
      for (const [name, value] of c.res.headers) headers.push([name, value]);
      await openProductStream(
        ctx,
        {
          rawInput,
          lastEventId:
            c.req.header('last-event-id') ??
            c.req.query('lastEventId') ??
            c.req.query('Last-Event-Id'),
          requestCtx: requestCtx(),
          headers,
          // CORS names Origin in Vary after the handler, as it does on tRPC's answer.
          varyOrigin: c.req.header('origin') !== undefined,
        },
        outgoing as ServerResponse,
      );
      return new Response(null, { headers: { [ALREADY_SENT]: 'true' } });
    }
    let req = c.req.raw;
    if (c.req.method === 'POST' && isJsonContentType(c.req.header('content-type'))) {
      const bytes = await c.req.arrayBuffer();
      if (decodeUtf8Body(bytes) === undefined) return refuse('BAD_REQUEST', NOT_UTF8, 400);
      req = new Request(req.url, {
        method: 'POST',
        headers: req.headers,
        body: bytes,
        signal: req.signal,
      });
    }
    const response = await fetchRequestHandler({
      endpoint: '/trpc',
      req,
      router,
      // Each call in a batch is a procedure run: a bound keeps one request from fanning out.
      maxBatchSize,
      createContext: requestCtx,
      onError: ({ error, path }) => logProcedureError(ctx.logger, error, c.get('requestId'), path),
    });
    const contentType = response.headers.get('content-type') ?? '';
    // Subscriptions: bounded in time and ended at shutdown (see LiveStreams).
    if (contentType.startsWith('text/event-stream')) return ctx.live.streams.track(response);
    if (response.status >= 400 && !contentType.startsWith('application/json')) {
      return withJsonErrorBody(response, c.get('requestId'));
    }
    return response;
  });
  return routes;
}

/**
 * tRPC answers a request it refuses before making a context (an unsupported or missing content
 * type) with its JSON error shape as `text/plain` and a null request id: send it as JSON, with the
 * request's id, like every other error.
 */
async function withJsonErrorBody(response: Response, requestId: string): Promise<Response> {
  const text = await response.text();
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return new Response(text, { status: response.status, headers: response.headers });
  }
  const data = (body as { error?: { data?: { requestId?: unknown } } }).error?.data;
  if (data !== undefined && data.requestId == null) data.requestId = requestId;
  const headers = new Headers(response.headers);
  headers.set('content-type', 'application/json');
  return new Response(JSON.stringify(body), { status: response.status, headers });
}
