import { randomUUID } from 'node:crypto';
import { idSchema } from '@zocket/contracts';
import { waitFor } from '@zocket/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { bulkRouter } from '../src/bulk/bulk.router.js';
import { createHttpApp } from '../src/http/app.js';
import { createRouteTable, labelOf } from '../src/http/route-table.js';
import { productsRouter } from '../src/products/products.router.js';
import { appRouter } from '../src/trpc/app.router.js';
import { publicProcedure, router } from '../src/trpc/trpc.js';
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

  it('answers /readyz ("can serve") with 200 when PostgreSQL answers and it is not draining', async () => {
    const res = await world.call('GET', '/readyz');
    expect(res.body).toEqual({ status: 'ready', postgres: 'ok', draining: false });
    expect(res.status).toBe(200);
  });

  it('answers /readyz/all with 200 when postgres, redis and kafka are reachable', async () => {
    // Each probe connects to Kafka afresh and gives up after 2 s; a busy machine may need a second.
    const res = await waitFor(
      async () => {
        const probe = await world.call('GET', '/readyz/all');
        return probe.status === 200 ? probe : undefined;
      },
      { timeoutMs: 15_000, what: '/readyz/all to answer 200' },
    );
    expect(res.body).toEqual({ status: 'ready', postgres: 'ok', redis: 'ok', kafka: 'ok' });
    expect(res.status).toBe(200);
  });

  it('answers /readyz with 503 while draining, without touching PostgreSQL', async () => {
    let draining = true;
    const app = createHttpApp(world.api.ctx, () => draining);
    const during = await app.request('/readyz');
    expect(during.status).toBe(503);
    expect(await during.json()).toEqual({
      status: 'not ready',
      postgres: 'not checked',
      draining: true,
    });
    draining = false;
    expect((await app.request('/readyz')).status).toBe(200);
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

describe('one route table for metrics labels, 405/Allow and the OpenAPI paths', () => {
  /** Hono's `:name` and a subtree's `/*` in the table's OpenAPI notation. */
  const openApiPath = (path: string) => path.replace(/:(\w+)/g, '{$1}').replace(/\/\*$/, '');

  it('lists every route the app mounts, with its methods', () => {
    const table = createRouteTable(appRouter);
    const listed = new Map(table.routes.map((r) => [labelOf(r.path), r.methods]));
    const mounted = createHttpApp(world.api.ctx).routes.filter(
      // Middleware, the tRPC route and the REST twin's catch-all take every method.
      (r) => r.method !== 'ALL',
    );
    expect(mounted.length).toBeGreaterThan(5);
    for (const { method, path } of mounted) {
      const methods = listed.get(labelOf(openApiPath(path)));
      expect(methods, `${method} ${path}`).toContain(method === 'HEAD' ? 'GET' : method);
    }
  });

  it('lists every path and method of the OpenAPI document', async () => {
    const table = createRouteTable(appRouter);
    const listed = new Map(table.routes.map((r) => [r.path, r.methods]));
    const document = (await world.call('GET', '/openapi.json')).body as {
      paths: Record<string, Record<string, unknown>>;
    };
    for (const [path, operations] of Object.entries(document.paths)) {
      for (const method of Object.keys(operations)) {
        expect(listed.get(path), `${method} ${path}`).toContain(method.toUpperCase());
      }
    }
  });

  it('gives a newly added procedure its own label, 405 with Allow and its OpenAPI path', async () => {
    const withWidgets = router({
      products: productsRouter,
      bulk: bulkRouter,
      widgets: router({
        byId: publicProcedure
          .meta({ openapi: { method: 'GET', path: '/widgets/{widgetId}', tags: ['widgets'] } })
          .input(z.object({ widgetId: idSchema }))
          .output(z.object({ widgetId: idSchema }))
          .query(({ input }) => input),
      }),
    });
    const app = createHttpApp(world.api.ctx, () => false, withWidgets);
    const id = randomUUID();

    // The app without it does not know the path.
    expect((await world.call('GET', `/widgets/${id}`)).status).toBe(404);

    const found = await app.request(`/widgets/${id}`);
    expect(found.status).toBe(200);
    expect(await found.json()).toEqual({ widgetId: id });
    const refused = await app.request(`/widgets/${id}`, { method: 'DELETE' });
    expect(refused.status).toBe(405);
    expect(refused.headers.get('allow')).toBe('GET');
    expect(((await refused.json()) as { error: { code: string } }).error.code).toBe(
      'METHOD_NOT_ALLOWED',
    );

    const metrics = await (await app.request('/metrics')).text();
    expect(metrics).toMatch(
      /zocket_http_requests_total\{route="\/widgets\/:id",method="GET",status="200"\} 1$/m,
    );
    expect(metrics).toMatch(
      /zocket_http_requests_total\{route="\/widgets\/:id",method="DELETE",status="405"\} 1$/m,
    );

    const document = (await (await app.request('/openapi.json')).json()) as {
      paths: Record<string, Record<string, unknown>>;
    };
    expect(Object.keys(document.paths['/widgets/{widgetId}'] ?? {})).toEqual(['get']);
  });
});
