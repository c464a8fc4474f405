import { Agent, request as httpRequest } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ApiWorld, createApiWorld, expectNoStack, newSubject } from './api-world.js';

/*
 * Hostile input and protocol edges found by an outside test: each must be a clear 4xx (or a
 * correct header), never a 500.
 */
let world: ApiWorld;

beforeAll(async () => {
  world = await createApiWorld({ env: { BODY_LIMIT_BYTES: '4096' } });
});
afterAll(() => world?.close());

const NUL = '\u0000';
const product = {
  name: 'Mug',
  description: 'Blue',
  price: { amountMinor: 1999, currency: 'EUR' },
  imageUrls: [] as string[],
};

describe('a NUL character (U+0000) in text input', () => {
  it.each([
    ['name', { ...product, name: `Mu${NUL}g` }, 'name'],
    ['description', { ...product, description: `Bl${NUL}ue` }, 'description'],
    ['imageUrls', { ...product, imageUrls: [`https://example.com/a${NUL}.jpg`] }, 'imageUrls.0'],
  ])('is refused with 400 naming the field in REST create (%s)', async (_, body, field) => {
    const token = await world.token(newSubject());
    const res = await world.call('POST', '/products', { token, body });
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('VALIDATION_FAILED');
    expect(Object.keys(res.body.error.fields)).toContain(field);
    expectNoStack(res.body);
  });

  it('is refused with 400 naming the field in REST update', async () => {
    const token = await world.token(newSubject());
    const created = await world.createProduct(token);
    const res = await world.call('PATCH', `/products/${created.id}`, {
      token,
      body: { expectedVersion: created.version, description: `x${NUL}` },
    });
    expect(res.status).toBe(400);
    expect(Object.keys(res.body.error.fields)).toContain('description');
  });

  it('is refused with 400 naming the field in the list name filter', async () => {
    const res = await world.call('GET', `/products?name=${encodeURIComponent(`mu${NUL}g`)}`);
    expect(res.status).toBe(400);
    expect(Object.keys(res.body.error.fields)).toContain('name');
  });

  it('is refused with 400 naming the field over tRPC', async () => {
    const token = await world.token(newSubject());
    const res = await world.call('POST', '/trpc/products.create', {
      token,
      body: { ...product, name: `Mu${NUL}g` },
    });
    expect(res.status).toBe(400);
    expect(res.body.error.data.appCode).toBe('VALIDATION_FAILED');
    expect(Object.keys(res.body.error.data.fields)).toContain('name');
    const list = await world.call(
      'GET',
      `/trpc/products.list?input=${encodeURIComponent(JSON.stringify({ name: `a${NUL}` }))}`,
    );
    expect(list.status).toBe(400);
    expect(Object.keys(list.body.error.data.fields)).toContain('name');
  });
});

describe('a list cursor PostgreSQL cannot hold', () => {
  it.each(['0000-01-01T00:00:00.000000Z', '0000-12-31T23:59:59.999999Z'])(
    'answers 400, not 500 (%s)',
    async (ts) => {
      const cursor = Buffer.from(`${ts}|0b9f6a52-3c4d-4e5f-8a9b-0c1d2e3f4a5b`).toString(
        'base64url',
      );
      const res = await world.call('GET', `/products?cursor=${cursor}`);
      expect(res.status).toBe(400);
      expect(Object.keys(res.body.error.fields)).toContain('cursor');
    },
  );
});

describe('a 413 on a kept-alive connection', () => {
  it('tells the client the connection closes, so the next request on it does not fail', async () => {
    const token = await world.token(newSubject());
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    const send = (method: string, path: string, body?: string) =>
      new Promise<{ status: number; headers: Record<string, unknown> }>((resolve, reject) => {
        const req = httpRequest(
          `${world.baseUrl}${path}`,
          {
            agent,
            method,
            headers: {
              authorization: `Bearer ${token}`,
              'content-type': 'application/json',
              ...(body === undefined ? {} : { 'content-length': Buffer.byteLength(body) }),
            },
          },
          (res) => {
            res.resume();
            res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers }));
          },
        );
        req.on('error', reject);
        req.end(body);
      });
    try {
      const huge = JSON.stringify({ ...product, description: 'x'.repeat(64 * 1024) });
      const refused = await send('POST', '/products', huge);
      expect(refused.status).toBe(413);
      expect(refused.headers.connection).toBe('close');
      for (let i = 0; i < 3; i++) {
        const next = await send('GET', '/healthz');
        expect(next.status).toBe(200);
      }
    } finally {
      agent.destroy();
    }
  });
});

describe('smaller protocol edges', () => {
  it('accepts the bearer scheme in any case', async () => {
    const token = await world.token(newSubject());
    for (const scheme of ['bearer', 'BEARER', 'Bearer']) {
      const res = await world.call('POST', '/products', {
        body: product,
        headers: { authorization: `${scheme} ${token}` },
      });
      expect(res.status, scheme).toBe(200);
    }
  });

  it.each([
    ['PUT', '/products', 'GET, POST'],
    ['DELETE', '/products', 'GET, POST'],
    ['PUT', '/products/0b9f6a52-3c4d-4e5f-8a9b-0c1d2e3f4a5b', 'GET, PATCH, DELETE'],
    ['GET', '/products/0b9f6a52-3c4d-4e5f-8a9b-0c1d2e3f4a5b/reprocess', 'POST'],
    ['GET', '/products/0b9f6a52-3c4d-4e5f-8a9b-0c1d2e3f4a5b/images', 'POST'],
    ['POST', '/healthz', 'GET'],
  ])('answers %s %s with 405 and Allow', async (method, path, allow) => {
    const res = await world.call(method, path, { headers: { 'x-request-id': 'req-405' } });
    expect(res.status).toBe(405);
    expect(res.headers.get('allow')).toBe(allow);
    expect(res.body).toEqual({
      error: { code: 'METHOD_NOT_ALLOWED', message: expect.any(String), requestId: 'req-405' },
    });
  });

  it('still answers an unknown path with 404', async () => {
    const res = await world.call('PUT', '/nope');
    expect(res.status).toBe(404);
  });

  it('gives a refused tRPC batch its request id', async () => {
    const calls = world.config.http.trpcMaxBatchSize + 1;
    const res = await world.call(
      'GET',
      `/trpc/${Array.from({ length: calls }, () => 'products.list').join(',')}?batch=1&input=${encodeURIComponent(
        JSON.stringify(Object.fromEntries(Array.from({ length: calls }, (_, i) => [i, {}]))),
      )}`,
      { headers: { 'x-request-id': 'req-batch' } },
    );
    expect(res.status).toBe(400);
    const errors = (Array.isArray(res.body) ? res.body : [res.body]) as {
      error: { data: { requestId: string | null } };
    }[];
    for (const e of errors) expect(e.error.data.requestId).toBe('req-batch');
  });
});
