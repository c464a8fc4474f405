import { idSchema } from '@zocket/contracts';
import type { Context } from 'hono';
import type { ProductCache } from '../cache/product-cache.js';

/*
 * The cached read fast path: `GET /products/:id` and the single, unbatched tRPC query
 * `GET /trpc/products.byId?input={"id":...}`. On a cache hit the stored bytes are answered as
 * they are, byte for byte what the procedure path answers (the entry is the product's validated
 * JSON). Anything else (a miss, a token to check, a batch, an input it does not recognise, Redis
 * down) is left to the procedures, so validation, errors and auth stay where they are.
 */

const JSON_HEADERS = { 'content-type': 'application/json' } as const;
/** tRPC's fetch adapter names both headers on every answer. */
const TRPC_HEADERS = { 'content-type': 'application/json', vary: 'trpc-accept, accept' } as const;

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

export function createCachedRead(cache: ProductCache, enabled: boolean) {
  /** A request that carries a token is checked by the procedures (an invalid one is refused). */
  const eligible = (c: Context) => enabled && c.req.header('authorization') === undefined;

  return {
    /** REST `GET /products/:id`. */
    async rest(c: Context, id: string): Promise<Response | undefined> {
      if (!eligible(c) || c.req.url.includes('?') || !idSchema.safeParse(id).success)
        return undefined;
      const json = await cache.peek(id);
      return json === undefined ? undefined : c.body(json, 200, JSON_HEADERS);
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
      return json === undefined
        ? undefined
        : c.body(`{"result":{"data":${json}}}`, 200, TRPC_HEADERS);
    },
  };
}
