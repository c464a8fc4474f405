import type { IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { initTRPC, tracked } from '@trpc/server';
import { createHTTPServer } from '@trpc/server/adapters/standalone';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createZocketClient, isZocketError, zocketError } from '../src/index.js';

/*
 * A small tRPC server with the API's procedure names and error shape stands in for the API here:
 * what is tested is the client's link chain (batching, headers, SSE, resumption), not the API.
 */

interface Ctx {
  authorization: string | undefined;
}
const t = initTRPC.context<Ctx>().create({
  sse: { client: { reconnectAfterInactivityMs: 60_000 } },
  errorFormatter: ({ shape, error }) => ({
    ...shape,
    data: {
      ...shape.data,
      appCode: error.message === 'gone' ? 'NOT_FOUND' : 'INTERNAL',
      requestId: 'req-1',
      fields: null,
    },
  }),
});

const requests: { url: string; authorization: string | undefined }[] = [];
const subscriptionInputs: { lastEventId?: string }[] = [];
let dropAfter = 0;
let dropStreams: (() => void) | undefined;

const router = t.router({
  products: t.router({
    byId: t.procedure
      .input((v) => v as { id: string })
      .query(({ ctx, input }) => {
        if (input.id === 'missing') throw new Error('gone');
        return { id: input.id, authorization: ctx.authorization ?? null };
      }),
    onChange: t.procedure
      .input((v) => v as { productId: string; lastEventId?: string })
      .subscription(async function* ({ ctx, input, signal }) {
        subscriptionInputs.push({
          ...(input.lastEventId === undefined ? {} : { lastEventId: input.lastEventId }),
        });
        let seq = Number(input.lastEventId ?? 0);
        while (signal?.aborted !== true) {
          seq += 1;
          yield tracked(String(seq), { seq, authorization: ctx.authorization ?? null });
          await new Promise((resolve) => setTimeout(resolve, 20));
          if (seq === dropAfter) {
            // Cut every connection once the event has gone out, as a restarting API would.
            dropAfter = 0;
            dropStreams?.();
          }
        }
      }),
  }),
});

let url: string;
let server: ReturnType<typeof createHTTPServer>;

beforeAll(async () => {
  server = createHTTPServer({
    router,
    basePath: '/trpc/',
    createContext: ({ req }: { req: IncomingMessage }) => {
      requests.push({ url: req.url ?? '', authorization: req.headers.authorization });
      return { authorization: req.headers.authorization };
    },
  });
  dropStreams = () => server.closeAllConnections();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
});

afterAll(() => {
  server.closeAllConnections();
  server.close();
});

// The client is typed against the real API; this stand-in answers with other shapes.
const loose = (value: unknown) => value as Record<string, unknown>;

describe('createZocketClient', () => {
  it('sends concurrent queries as one batched request under /trpc with the bearer token', async () => {
    const client = createZocketClient({
      url,
      token: 'tok-1',
    });
    requests.length = 0;
    const [a, b] = await Promise.all([
      client.products.byId.query({ id: 'a' }),
      client.products.byId.query({ id: 'b' }),
    ]);
    expect(loose(a)).toEqual({ id: 'a', authorization: 'Bearer tok-1' });
    expect(loose(b).id).toBe('b');
    expect(requests).toHaveLength(1);
    expect(requests[0]?.url).toContain('batch=1');
  });

  it('asks getToken before each request and sends no header without a token', async () => {
    let n = 0;
    const client = createZocketClient({
      url: url.replace(/\/$/, ''),
      getToken: async () => (n++ === 0 ? null : `tok-${n}`),
    });
    expect(loose(await client.products.byId.query({ id: 'x' })).authorization).toBeNull();
    expect(loose(await client.products.byId.query({ id: 'x' })).authorization).toBe('Bearer tok-2');
  });

  it("rejects with the API's error code, request id and status", async () => {
    const client = createZocketClient({
      url,
    });
    const error = await client.products.byId.query({ id: 'missing' }).catch((e: unknown) => e);
    expect(isZocketError(error, 'NOT_FOUND')).toBe(true);
    expect(isZocketError(error, 'CONFLICT')).toBe(false);
    expect(zocketError(error)).toMatchObject({ code: 'NOT_FOUND', requestId: 'req-1' });
    const offline = createZocketClient({ url: 'http://127.0.0.1:9' });
    const refused = await offline.products.byId.query({ id: 'a' }).catch((e: unknown) => e);
    expect(zocketError(refused).code).toBe('NETWORK');
  });

  it('subscribes over SSE with the token in a header and resumes after the last event id', async () => {
    const client = createZocketClient({
      url,
      token: 'tok-sse',
    });
    subscriptionInputs.length = 0;
    dropAfter = 3;
    const seen: { id: string; seq: number; authorization: unknown }[] = [];
    const done = new Promise<void>((resolve, reject) => {
      const sub = client.products.onChange.subscribe(
        { productId: '00000000-0000-4000-8000-000000000001' },
        {
          onData: (event) => {
            const data = loose(event.data);
            seen.push({ id: event.id, seq: Number(data.seq), authorization: data.authorization });
            if (seen.length === 6) {
              sub.unsubscribe();
              resolve();
            }
          },
          onError: reject,
        },
      );
    });
    await done;
    expect(seen.map((e) => e.seq)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(new Set(seen.map((e) => e.authorization))).toEqual(new Set(['Bearer tok-sse']));
    // The stream was cut after event 3; the reconnection asked for what came after it.
    expect(subscriptionInputs).toEqual([{}, { lastEventId: '3' }]);
  }, 20_000);
});
