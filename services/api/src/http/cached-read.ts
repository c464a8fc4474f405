import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import { idSchema } from '@zocket/contracts';
import { contextFromHeaders, SpanKind, tracingActive, zocketTracer } from '@zocket/telemetry';
import type { Context, MiddlewareHandler } from 'hono';
import type { ProductCache } from '../cache/product-cache.js';
import { REQUEST_ID_HEADER, type RequestRecorder, requestIdFrom } from './request-record.js';

/*
 * The cached read fast path: `GET /products/:id` and the single, unbatched tRPC query
 * `GET /trpc/products.byId?input={"id":...}`. On a cache hit the stored bytes are answered as
 * they are, byte for byte what the procedure path answers (the entry is the product's validated
 * JSON). Anything else (a miss, a token to check, a batch, an input it does not recognise, Redis
 * down) is left to the Hono app, so validation, errors and auth stay where they are.
 *
 * It sits in front of the Hono app, on node's request listener: on a hit, building the fetch
 * Request and Response wrappers, Hono's context and its middleware chain cost more CPU than the
 * rest of the read in a CPU profile (docs/performance.md). It keeps what the middleware gives every answer: the
 * request id, metrics and log line (request-record.ts), and the security headers, captured once
 * from the app's own middleware. Requests from a browser (Origin) go to the app for their CORS
 * headers; in-process requests (`app.request`) never come here and take the procedure path.
 * With tracing on, a hit gets the server span the app's middleware would have given it (same name,
 * the caller's traceparent continued); a miss gets its span from the app, so never two.
 */

/** The headers `secure` sets, read by running it once on an empty response. */
export async function capturedHeaders(secure: MiddlewareHandler): Promise<Record<string, string>> {
  const ctx = { res: new Response(null) };
  await secure(ctx as unknown as Context, async () => {});
  return Object.fromEntries(ctx.res.headers.entries());
}

/** The product id of an unbatched tRPC byId query string (after `?`), or undefined. */
function trpcByIdInput(query: string): string | undefined {
  const params = new URLSearchParams(query);
  const raw = params.get('input');
  // One parameter only: `batch=1` or anything else goes to tRPC.
  if (raw === null || params.size !== 1) return undefined;
  let input: unknown;
  try {
    input = JSON.parse(raw);
  } catch {
    return undefined;
  }
  if (typeof input !== 'object' || input === null) return undefined;
  const keys = Object.keys(input);
  if (keys.length !== 1 || keys[0] !== 'id') return undefined;
  const id = (input as { id: unknown }).id;
  return idSchema.safeParse(id).success ? (id as string) : undefined;
}

const REST_PREFIX = '/products/';
const TRPC_BEFORE = Buffer.from('{"result":{"data":');
const TRPC_AFTER = Buffer.from('}}');
const TRPC_BY_ID = '/trpc/products.byId';

type Candidate = { id: string; route: string; trpc: boolean };

/** Which fast-path read a request is, or undefined for everything the app must answer. */
function candidateOf(req: IncomingMessage): Candidate | undefined {
  const url = req.url;
  if (req.method !== 'GET' || url === undefined) return undefined;
  const { headers } = req;
  // A token is checked by the procedures (an invalid one is refused); a browser gets CORS there.
  if (headers.authorization !== undefined || headers.origin !== undefined) return undefined;
  if (url.startsWith(REST_PREFIX)) {
    const id = url.slice(REST_PREFIX.length);
    return idSchema.safeParse(id).success ? { id, route: '/products/:id', trpc: false } : undefined;
  }
  if (url.startsWith(TRPC_BY_ID) && url.charCodeAt(TRPC_BY_ID.length) === 63 /* ? */) {
    // A streaming client (JSON lines) gets tRPC's own answer.
    if (headers['trpc-accept'] !== undefined || headers.accept?.includes('jsonl')) return undefined;
    const id = trpcByIdInput(url.slice(TRPC_BY_ID.length + 1));
    return id === undefined ? undefined : { id, route: TRPC_BY_ID, trpc: true };
  }
  return undefined;
}

/**
 * Node's request listener for the API: cache hits of the two byId reads are answered here, the
 * rest goes to `app` (the Hono app's listener). `enabled` false (CACHE_ENABLED) passes all through.
 */
export function withCachedReads(
  cache: ProductCache,
  options: { enabled: boolean; secure: MiddlewareHandler; record: RequestRecorder },
  app: RequestListener,
): RequestListener {
  if (!options.enabled) return app;
  const { record } = options;
  let security: Record<string, string> | undefined;
  void capturedHeaders(options.secure).then((headers) => {
    security = headers;
  });
  // Every header at once, in one flat array built once (node's writeHead takes [name, value, ...]):
  // a dozen Headers.set calls after the fact cost about a tenth of a cached read's CPU.
  let restHeaders: string[] | undefined;
  let trpcHeaders: string[] | undefined;
  const answer = (res: ServerResponse, candidate: Candidate, json: Buffer, requestId: string) => {
    restHeaders ??= [...Object.entries(security ?? {}).flat(), 'content-type', 'application/json'];
    // tRPC's fetch adapter names both headers on every answer.
    trpcHeaders ??= [...restHeaders, 'vary', 'trpc-accept, accept'];
    const body = candidate.trpc ? Buffer.concat([TRPC_BEFORE, json, TRPC_AFTER]) : json;
    const headers = candidate.trpc ? trpcHeaders.slice() : restHeaders.slice();
    headers.push('content-length', String(body.length), REQUEST_ID_HEADER, requestId);
    res.writeHead(200, headers);
    res.end(body);
  };

  const traced = tracingActive();

  return (req, res) => {
    const candidate = security === undefined ? undefined : candidateOf(req);
    if (candidate === undefined) {
      app(req, res);
      return;
    }
    const started = performance.now();
    cache.peek(candidate.id).then(
      (json) => {
        if (json === undefined) return app(req, res);
        const given = req.headers['x-request-id'];
        const requestId = requestIdFrom(typeof given === 'string' ? given : undefined);
        answer(res, candidate, json, requestId);
        if (traced) traceHit(req, candidate, started, requestId);
        record({ route: candidate.route, method: 'GET', status: '200' }, started, requestId);
      },
      () => app(req, res), // peek never rejects; should it, the app answers
    );
  };
}

/** The server span of a hit, started when the request came in and ended now. */
function traceHit(req: IncomingMessage, candidate: Candidate, started: number, requestId: string) {
  const span = zocketTracer().startSpan(
    `GET ${candidate.route}`,
    {
      kind: SpanKind.SERVER,
      startTime: performance.timeOrigin + started,
      attributes: {
        'http.request.method': 'GET',
        'http.route': candidate.route,
        'url.path': candidate.trpc ? TRPC_BY_ID : `${REST_PREFIX}${candidate.id}`,
        'http.response.status_code': 200,
        'zocket.cache': 'hit',
        'zocket.request_id': requestId,
      },
    },
    contextFromHeaders(req.headers),
  );
  span.end();
}
