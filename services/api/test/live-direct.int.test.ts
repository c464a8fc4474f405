import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { cacheKeys, invalidateCachedProduct } from '@zocket/contracts';
import { completeImageJob, createDb, type Db } from '@zocket/db';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ApiWorld, createApiWorld, newSubject, waitFor } from './api-world.js';

/*
 * products.onChange over the network is written by the API itself (live/product-stream.ts);
 * in-process requests (`app.request`) still take tRPC's own SSE producer. These tests hold the
 * first to the second, byte for byte, and check what only the direct path has: one read per
 * product shared by its subscribers.
 */

const url = (n: number) => `https://images.example.com/direct-${n}.jpg`;
const onChangePath = (input: unknown, extra = '') =>
  `/trpc/products.onChange?input=${encodeURIComponent(JSON.stringify(input))}${extra}`;

/** Headers that differ by transport (node's framing) or by request, not by the answer. */
const TRANSPORT = new Set(['date', 'transfer-encoding', 'keep-alive', 'x-request-id']);

function comparable(headers: Iterable<[string, string]>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of headers) {
    if (!TRANSPORT.has(name.toLowerCase())) out[name.toLowerCase()] = value;
  }
  return out;
}

/** Reads a stream's text until `enough` says so (or it ends); returns the text read. */
async function readUntil(
  chunks: AsyncIterable<Uint8Array | string>,
  enough: (text: string) => boolean,
): Promise<string> {
  const decoder = new TextDecoder();
  let text = '';
  for await (const chunk of chunks) {
    text += typeof chunk === 'string' ? chunk : decoder.decode(chunk, { stream: true });
    if (enough(text)) break;
  }
  return text;
}

interface Answer {
  status: number;
  headers: Record<string, string>;
  text: string;
}

/** Over the network: the direct path. */
function direct(
  baseUrl: string,
  path: string,
  headers: Record<string, string>,
  enough: (text: string) => boolean,
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(`${baseUrl}${path}`, { headers, agent: false }, (res) => {
      readUntil(res, enough).then((text) => {
        req.destroy();
        const raw = res.headers as IncomingHttpHeaders;
        resolve({
          status: res.statusCode ?? 0,
          headers: comparable(Object.entries(raw).map(([k, v]) => [k, String(v)])),
          text,
        });
      }, reject);
    });
    req.on('error', reject);
    req.end();
  });
}

/** In-process: tRPC's own producer. */
async function viaTrpc(
  world: ApiWorld,
  path: string,
  headers: Record<string, string>,
  enough: (text: string) => boolean,
): Promise<Answer> {
  const controller = new AbortController();
  const response = await world.request(path, { headers, signal: controller.signal });
  const body = response.body;
  if (body === null) throw new Error('no body');
  const text = await readUntil(body as unknown as AsyncIterable<Uint8Array>, enough);
  controller.abort();
  await body.cancel().catch(() => {});
  return { status: response.status, headers: comparable(response.headers.entries()), text };
}

const events = (text: string, n: number) => text.split('\n\n\n').length > n;

describe('products.onChange written directly', () => {
  let world: ApiWorld;
  let db: Db;
  let redis: Redis;
  let token: string;

  beforeAll(async () => {
    world = await createApiWorld({ env: { LIVE_POLL_INTERVAL_MS: '60000' } });
    db = createDb({ url: world.config.db.url, max: 2 });
    redis = new Redis(world.services.redisUrl);
    token = await world.token(newSubject('seller'));
  });
  afterAll(async () => {
    redis?.disconnect();
    await db?.destroy();
    await world?.close();
  });

  it('sends the bytes and headers tRPC sends: connected, then the snapshot', async () => {
    const product = await world.createProduct(token, { imageUrls: [url(1), url(2)] });
    const path = onChangePath({ productId: product.id });
    const headers = { accept: 'text/event-stream', 'x-request-id': 'same-request' };
    const ours = await direct(world.baseUrl, path, headers, (t) => events(t, 3));
    const theirs = await viaTrpc(world, path, headers, (t) => events(t, 3));
    expect(ours.status).toBe(200);
    expect(ours.text).toBe(theirs.text);
    expect(
      ours.text.startsWith('event: connected\ndata: {"reconnectAfterInactivityMs":45000}\n'),
    ).toBe(true);
    expect(ours.headers).toEqual(theirs.headers);
  });

  it('sends the same CORS headers to a browser', async () => {
    const product = await world.createProduct(token, { imageUrls: [url(3)] });
    const path = onChangePath({ productId: product.id });
    const headers = { accept: 'text/event-stream', origin: 'http://localhost:5173' };
    const ours = await direct(world.baseUrl, path, headers, (t) => events(t, 2));
    const theirs = await viaTrpc(world, path, headers, (t) => events(t, 2));
    expect(ours.headers).toEqual(theirs.headers);
    expect(ours.headers.vary).toContain('Origin');
  });

  it('resumes after lastEventId (query or Last-Event-ID header) exactly as tRPC does', async () => {
    const product = await world.createProduct(token, { imageUrls: [url(4), url(5), url(6)] });
    const first = await direct(world.baseUrl, onChangePath({ productId: product.id }), {}, (t) =>
      events(t, 4),
    );
    const ids = [...first.text.matchAll(/^id: (\d+)$/gm)].map((m) => m[1]);
    expect(ids).toHaveLength(3);
    const after = ids[0] as string;
    for (const [path, headers] of [
      [onChangePath({ productId: product.id, lastEventId: after }), {}],
      [onChangePath({ productId: product.id }, `&lastEventId=${after}`), {}],
      [onChangePath({ productId: product.id }), { 'last-event-id': after }],
    ] as const) {
      const ours = await direct(world.baseUrl, path, headers, (t) => events(t, 3));
      const theirs = await viaTrpc(world, path, headers, (t) => events(t, 3));
      expect(ours.text).toBe(theirs.text);
      expect([...ours.text.matchAll(/^id: (\d+)$/gm)].map((m) => m[1])).toEqual(ids.slice(1));
    }
  });

  it.each([
    ['an unknown product (NOT_FOUND)', { productId: '00000000-0000-4000-8000-000000000000' }, {}],
    ['an invalid input (BAD_REQUEST)', { productId: 'nope' }, {}],
    [
      'an invalid token (UNAUTHORIZED)',
      { productId: '00000000-0000-4000-8000-000000000000' },
      { authorization: 'Bearer not.a.token' },
    ],
  ] as const)('answers %s with the same error event', async (_, input, extra) => {
    const path = onChangePath(input);
    const headers = { ...extra, 'x-request-id': 'same-request' };
    const whole = (t: string) => /event: serialized-error\ndata: .*\n\n\n/.test(t);
    const ours = await direct(world.baseUrl, path, headers, whole);
    const theirs = await viaTrpc(world, path, headers, whole);
    expect(ours.text).toBe(theirs.text);
    expect(ours.text).toContain('event: serialized-error');
  });

  it('reads a change once for all the subscribers of a product and sends it to each', async () => {
    const product = await world.createProduct(token, { imageUrls: [url(7)] });
    const image = product.images[0];
    if (image === undefined) throw new Error('one image expected');
    const received: string[] = [];
    const open: ReturnType<typeof httpRequest>[] = [];
    const feedsBefore = world.api.ctx.live.feeds.size;
    for (let i = 0; i < 20; i += 1) {
      const req = httpRequest(`${world.baseUrl}${onChangePath({ productId: product.id })}`, {
        agent: false,
      });
      req.on('response', (res) => {
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          if (chunk.includes('"status":"ready"')) received.push(chunk);
        });
      });
      req.on('error', () => {});
      req.end();
      open.push(req);
    }
    try {
      await waitFor(() => (world.api.ctx.live.limits.open >= 20 ? true : undefined), {
        timeoutMs: 10_000,
        what: '20 open subscriptions',
      });
      expect(world.api.ctx.live.feeds.size).toBe(feedsBefore + 1);
      const row = await db
        .selectFrom('product_images')
        .select(['job_id'])
        .where('id', '=', image.id)
        .executeTakeFirstOrThrow();
      await completeImageJob(
        db,
        { imageId: image.id, jobId: row.job_id },
        {
          variants: [],
          placeholder: 'p',
          width: 10,
          height: 10,
          bytes: 10,
          contentHash: 'c'.repeat(64),
          profileVersion: 'v1',
        },
      );
      await invalidateCachedProduct(redis, cacheKeys(world.cachePrefix), product.id);
      await waitFor(() => (received.length >= 20 ? true : undefined), {
        timeoutMs: 10_000,
        what: 'the ready event at all 20 subscribers',
      });
      expect(received).toHaveLength(20);
    } finally {
      for (const req of open) req.destroy();
    }
    await waitFor(() => (world.api.ctx.live.feeds.size === feedsBefore ? true : undefined), {
      timeoutMs: 5_000,
      what: 'the feed to close with its last subscriber',
    });
  });
});
