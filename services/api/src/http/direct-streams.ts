import type { IncomingMessage, RequestListener } from 'node:http';
import { tracingActive } from '@zocket/telemetry';
import type { MiddlewareHandler } from 'hono';
import type { ApiContext } from '../api-context.js';
import { isDirectInput, openProductStream } from '../live/product-stream.js';
import { capturedHeaders } from './cached-read.js';
import { clientOf, createRequestContext } from './request-context.js';
import { REQUEST_ID_HEADER, type RequestRecorder, requestIdFrom } from './request-record.js';

/*
 * `products.onChange` subscriptions opened in front of the Hono app, on node's request listener,
 * as cached-read.ts does for cache hits: a stream then keeps nothing of the fetch Request wrapper,
 * Hono's context or the adapter's close handler for as long as it is open. It answers what the app
 * would (live/product-stream.ts writes the same stream either way), with the security headers
 * captured from the app's middleware, the request id, metrics and log line. Browsers (Origin, for
 * their CORS headers) and traced processes (for the app's server span) go through the app, whose
 * tRPC route writes the stream directly too.
 */

const PREFIX = '/trpc/products.onChange?';
const ROUTE = '/trpc/products.onChange';
/** The query parameters tRPC reads for this call; any other (a batch, connectionParams) goes to tRPC. */
const KNOWN = new Set(['input', 'lastEventId', 'Last-Event-Id']);

interface DirectRequest {
  rawInput: string;
  lastEventId: string | undefined;
}

function directRequestOf(req: IncomingMessage): DirectRequest | undefined {
  const { url, headers } = req;
  if (req.method !== 'GET' || url === undefined || !url.startsWith(PREFIX)) return undefined;
  if (headers.origin !== undefined) return undefined;
  const params = new URLSearchParams(url.slice(PREFIX.length));
  for (const key of params.keys()) if (!KNOWN.has(key)) return undefined;
  const rawInput = params.get('input') ?? undefined;
  if (!isDirectInput(rawInput)) return undefined;
  const header = headers['last-event-id'];
  return {
    rawInput,
    lastEventId:
      (typeof header === 'string' ? header : undefined) ??
      params.get('lastEventId') ??
      params.get('Last-Event-Id') ??
      undefined,
  };
}

/** Node's request listener: `products.onChange` streams opened here, the rest goes to `app`. */
export function withDirectStreams(
  ctx: ApiContext,
  options: { secure: MiddlewareHandler; record: RequestRecorder },
  app: RequestListener,
): RequestListener {
  if (tracingActive()) return app;
  const { record } = options;
  let security: [string, string][] | undefined;
  void capturedHeaders(options.secure).then((headers) => {
    security = Object.entries(headers);
  });
  return (req, res) => {
    const direct = security === undefined ? undefined : directRequestOf(req);
    if (direct === undefined || security === undefined) {
      app(req, res);
      return;
    }
    const started = performance.now();
    const given = req.headers['x-request-id'];
    const requestId = requestIdFrom(typeof given === 'string' ? given : undefined);
    const requestCtx = createRequestContext(
      ctx,
      req.headers.authorization,
      requestId,
      clientOf({ incoming: req }),
    );
    const opened = openProductStream(
      ctx,
      {
        rawInput: direct.rawInput,
        lastEventId: direct.lastEventId,
        requestCtx,
        headers: [...security, [REQUEST_ID_HEADER.toLowerCase(), requestId]],
        varyOrigin: false,
      },
      res,
    );
    // Counted when the stream is open, as the app counts it when its handler returns.
    opened.then(
      () => record({ route: ROUTE, method: 'GET', status: '200' }, started, requestId),
      (error: unknown) => {
        ctx.logger.error({ err: error, requestId }, 'live stream failed to open');
        if (!res.headersSent) res.writeHead(500);
        res.end();
      },
    );
  };
}
