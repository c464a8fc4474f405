import { waitFor } from '@zocket/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ApiWorld, createApiWorld, expectNoStack, newSubject } from './api-world.js';

let world: ApiWorld;

beforeAll(async () => {
  world = await createApiWorld();
});

afterAll(async () => {
  await world?.close();
});

describe('operations endpoints', () => {
  it('answers /healthz with 200', async () => {
    const res = await world.call('GET', '/healthz');
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ status: 'ok' });
  });

  it('answers /readyz with 200 when postgres, redis and kafka are reachable', async () => {
    // Each probe connects to Kafka afresh and gives up after 2 s; a busy machine may need a second.
    const res = await waitFor(
      async () => {
        const probe = await world.call('GET', '/readyz');
        return probe.status === 200 ? probe : undefined;
      },
      { timeoutMs: 15_000, what: '/readyz to answer 200' },
    );
    expect(res.body).toEqual({ status: 'ready', postgres: 'ok', redis: 'ok', kafka: 'ok' });
    expect(res.status).toBe(200);
  });

  it('exposes request, cache and outbox metrics in Prometheus text format', async () => {
    const token = await world.token(newSubject());
    const product = await world.createProduct(token);
    await world.call('GET', `/products/${product.id}`);
    await world.call('GET', `/products/${product.id}`);
    const res = await world.request('/metrics');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/plain');
    const text = await res.text();
    expect(text).toMatch(
      /zocket_http_requests_total\{route="\/products\/:id",method="GET",status="200"\} \d+/,
    );
    expect(text).toMatch(/zocket_cache_operations_total\{result="hit"\} [1-9]/);
    expect(text).toMatch(/^zocket_outbox_backlog \d+/m);
  });

  it('labels metrics by route template, not by product id', async () => {
    const text = await (await world.request('/metrics')).text();
    expect(text).not.toMatch(/route="\/products\/[0-9a-f]{8}-/);
  });

  it('serves an OpenAPI 3 document with every product path', async () => {
    const res = await world.call('GET', '/openapi.json');
    expect(res.status).toBe(200);
    expect(res.body.openapi).toMatch(/^3\./);
    const paths = Object.keys(res.body.paths);
    expect(paths).toEqual(
      expect.arrayContaining([
        '/products',
        '/products/{id}',
        '/products/{id}/reprocess',
        '/products/{id}/images',
      ]),
    );
    expect(Object.keys(res.body.paths['/products'])).toEqual(
      expect.arrayContaining(['get', 'post']),
    );
    expect(Object.keys(res.body.paths['/products/{id}'])).toEqual(
      expect.arrayContaining(['get', 'patch', 'delete']),
    );
    expect(res.body.paths['/products/{id}/images'].post.requestBody.content).toHaveProperty(
      'multipart/form-data',
    );
  });
});

describe('HTTP hygiene', () => {
  it('answers a CORS preflight from an allowed origin with Access-Control-Allow-Origin', async () => {
    const res = await world.request('/products', {
      method: 'OPTIONS',
      headers: {
        origin: 'https://shop.example.com',
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'authorization, content-type',
      },
    });
    expect(res.status).toBeLessThan(300);
    expect(res.headers.get('access-control-allow-origin')).toBe('https://shop.example.com');
    expect(res.headers.get('access-control-allow-methods')).toContain('PATCH');
    expect(res.headers.get('access-control-allow-headers')?.toLowerCase()).toContain(
      'authorization',
    );
  });

  it('does not allow a CORS preflight from another origin', async () => {
    const res = await world.request('/products', {
      method: 'OPTIONS',
      headers: { origin: 'https://evil.example.net', 'access-control-request-method': 'POST' },
    });
    expect(res.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('does not grant another origin on a simple request either', async () => {
    const res = await world.request('/products', {
      headers: { origin: 'https://evil.example.net' },
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('sends secure headers on every response', async () => {
    for (const path of ['/healthz', '/products', '/nope']) {
      const res = await world.request(path);
      expect(res.headers.get('x-content-type-options'), path).toBe('nosniff');
      expect(res.headers.get('x-frame-options'), path).toBe('SAMEORIGIN');
      expect(res.headers.get('strict-transport-security'), path).toContain('max-age=');
    }
  });

  it('echoes the caller X-Request-Id and makes one up when absent', async () => {
    const mine = await world.request('/healthz', { headers: { 'x-request-id': 'req-ops-123' } });
    expect(mine.headers.get('x-request-id')).toBe('req-ops-123');
    const generated = await world.request('/healthz');
    expect(generated.headers.get('x-request-id')).toMatch(/.{8,}/);
  });

  it('answers an unknown route with 404 and the error body', async () => {
    for (const [method, path] of [
      ['GET', '/nope'],
      ['POST', '/nope/deeper'],
      ['DELETE', '/products'],
    ] as const) {
      const res = await world.call(method, path, { headers: { 'x-request-id': 'req-404' } });
      expect(res.status, `${method} ${path}`).toBe(404);
      expect(res.body, `${method} ${path}`).toEqual({
        error: { code: 'NOT_FOUND', message: expect.any(String), requestId: 'req-404' },
      });
      expectNoStack(res.body);
    }
  });

  it('answers a malformed JSON body with 400, not 500', async () => {
    const token = await world.token(newSubject());
    const res = await world.call('POST', '/products', {
      token,
      body: '{"name": "Mug", "price": {',
    });
    expect(res.status).toBe(400);
    expect(['BAD_REQUEST', 'VALIDATION_FAILED']).toContain(res.body.error.code);
    expect(res.body.error.requestId).toEqual(expect.any(String));
    expectNoStack(res.body);
  });

  it('answers a JSON body that is not an object with 400', async () => {
    const token = await world.token(newSubject());
    const res = await world.call('POST', '/products', { token, body: '"just a string"' });
    expect(res.status).toBe(400);
    expectNoStack(res.body);
  });

  it('answers a body over BODY_LIMIT_BYTES with 413, in-process and over the network', async () => {
    const token = await world.token(newSubject());
    const huge = JSON.stringify({
      name: 'Big',
      description: 'x'.repeat(world.config.http.bodyLimitBytes + 1024),
      price: { amountMinor: 1, currency: 'EUR' },
    });
    const inProcess = await world.call('POST', '/products', { token, body: huge });
    expect(inProcess.status).toBe(413);
    expect(inProcess.body.error.code).toBe('PAYLOAD_TOO_LARGE');

    const network = await fetch(`${world.baseUrl}/products`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: huge,
    });
    expect(network.status).toBe(413);
    const body = (await network.json()) as { error: { code: string } };
    expect(body.error.code).toBe('PAYLOAD_TOO_LARGE');
    expectNoStack(body);
  });

  it('holds a multipart body sent to a route that takes no files to the JSON limit', async () => {
    const token = await world.token(newSubject());
    const form = new FormData();
    form.append('files', new Blob([new Uint8Array(world.config.http.bodyLimitBytes + 1024)]), 'a');
    const res = await world.request('/products', {
      method: 'POST',
      headers: { authorization: `Bearer ${token}` },
      body: form,
    });
    expect(res.status).toBe(413);
    const body = (await res.json()) as { error: { code: string; message: string } };
    expect(body.error.code).toBe('PAYLOAD_TOO_LARGE');
    expect(body.error.message).toContain(String(world.config.http.bodyLimitBytes));
  });

  it('refuses a tRPC batch larger than TRPC_MAX_BATCH_SIZE with 400, and serves one at the limit', async () => {
    const batch = (calls: number) =>
      world.request(
        `/trpc/${Array.from({ length: calls }, () => 'products.list').join(',')}?batch=1&input=${encodeURIComponent(
          JSON.stringify(Object.fromEntries(Array.from({ length: calls }, (_, i) => [i, {}]))),
        )}`,
      );
    const limit = world.config.http.trpcMaxBatchSize;
    const over = await batch(limit + 1);
    expect(over.status).toBe(400);
    const overBody = JSON.stringify(await over.json());
    expect(overBody).toContain('Batch call exceeds maximum size');
    expectNoStack(JSON.parse(overBody));
    const atLimit = await batch(limit);
    expect(atLimit.status).toBe(200);
    expect((await atLimit.json()) as unknown[]).toHaveLength(limit);
  });

  it('refuses an oversized body even when Content-Length lies', async () => {
    const token = await world.token(newSubject());
    const huge = 'x'.repeat(world.config.http.bodyLimitBytes * 2);
    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(new TextEncoder().encode(huge));
        controller.close();
      },
    });
    const res = await world.request('/products', {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: stream,
      // Node's fetch needs duplex for a streamed body.
      duplex: 'half',
    });
    expect(res.status).toBe(413);
  });
});
