import { idSchema } from '@zocket/contracts';
import type { Context, MiddlewareHandler } from 'hono';
import type { ProductCache } from '../cache/product-cache.js';

/*
 * The cached read fast path: `GET /products/:id` and the single, unbatched tRPC query
 * `GET /trpc/products.byId?input={"id":...}`. On a cache hit the stored bytes are answered as
 * they are, byte for byte what the procedure path answers (the entry is the product's validated
 * JSON). Anything else (a miss, a token to check, a batch, an input it does not recognise, Redis
 * down) is left to the procedures, so validation, errors and auth stay where they are.
 */

/*
 * It runs before the security-headers middleware and answers with every header at once, in a
 * plain object: setting a dozen headers one by one on a Headers object after the fact cost about
 * a tenth of a cached read's CPU. The security headers are the app's own middleware's, captured
 * by running it once.
 */

/** The headers `secure` sets, read by running it once on an empty response. */
export async function capturedHeaders(secure: MiddlewareHandler): Promise<Record<string, string>> {
  const ctx = { res: new Response(null) };
  await secure(ctx as unknown as Context, async () => {});
  return Object.fromEntries(ctx.res.headers.entries());
}

/** The product id of an unbatched tRPC byId query string, or undefined. */
function trpcByIdInput(c: Context): string | undefined {
  const url = c.req.url;
  const query = url.indexOf('?');
  if (query < 0) return undefined;
  const params = new URLSearchParams(url.slice(query + 1));
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

export function createCachedRead(cache: ProductCache, enabled: boolean, secure: MiddlewareHandler) {
  let security: Record<string, string> | undefined;
  void capturedHeaders(secure).then((headers) => {
    security = headers;
  });
  /**
   * A request that carries a token is checked by the procedures (an invalid one is refused); one
   * from a browser (Origin) gets its CORS headers there.
   */
  const eligible = (c: Context) =>
    enabled &&
    security !== undefined &&
    c.req.header('authorization') === undefined &&
    c.req.header('origin') === undefined;
  const answer = (c: Context, body: string, extra?: Record<string, string>) =>
    new Response(body, {
      status: 200,
      headers: {
        ...security,
        'content-type': 'application/json',
        ...extra,
        'x-request-id': c.get('requestId') as string,
      },
    });

  return {
    /** REST `GET /products/:id`. */
    async rest(c: Context, id: string): Promise<Response | undefined> {
      if (!eligible(c) || c.req.url.includes('?') || !idSchema.safeParse(id).success)
        return undefined;
      const json = await cache.peek(id);
      return json === undefined ? undefined : answer(c, json);
    },
    /** tRPC `products.byId` as a single GET query. */
    async trpc(c: Context): Promise<Response | undefined> {
      // A streaming client (JSON lines) gets tRPC's own answer.
      const accept = c.req.header('accept');
      if (!eligible(c) || c.req.header('trpc-accept') !== undefined || accept?.includes('jsonl'))
        return undefined;
      const id = trpcByIdInput(c);
      if (id === undefined) return undefined;
      const json = await cache.peek(id);
      // tRPC's fetch adapter names both headers on every answer.
      return json === undefined
        ? undefined
        : answer(c, `{"result":{"data":${json}}}`, { vary: 'trpc-accept, accept' });
    },
  };
}
