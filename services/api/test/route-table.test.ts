import { idSchema } from '@zocket/contracts';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { bulkRouter } from '../src/bulk/bulk.router.js';
import { createRouteTable, labelOf } from '../src/http/route-table.js';
import { productsRouter } from '../src/products/products.router.js';
import { appRouter } from '../src/trpc/app.router.js';
import { publicProcedure, router } from '../src/trpc/trpc.js';

const ID = '0b9f6a52-3c4d-4e5f-8a9b-0c1d2e3f4a5b';
const OTHER_ID = '7c1e2d3f-4a5b-4c6d-8e9f-0a1b2c3d4e5f';

/** The app's routers plus one procedure the route table has never seen. */
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

describe('the route table of the app router', () => {
  const table = createRouteTable(appRouter);

  it('labels every route with the label dashboards already use', () => {
    const labels = table.routes.map((r) => labelOf(r.path)).sort();
    expect(labels).toEqual(
      [
        '/healthz',
        '/readyz',
        '/readyz/all',
        '/metrics',
        '/openapi.json',
        '/products',
        '/products/:id',
        '/products/:id/images',
        '/products/:id/reprocess',
        '/products/:id/images/:id/original',
        '/dev/token',
        '/console',
        '/shop',
        '/products/:id/uploads',
        '/uploads/:id/complete',
        '/bulk/preview',
        '/bulk/jobs',
        '/bulk/jobs/:id',
        '/bulk/jobs/:id/pause',
        '/bulk/jobs/:id/resume',
        '/bulk/jobs/:id/cancel',
        '/bulk/dlq-count',
      ].sort(),
    );
  });

  it.each([
    [`/products/${ID}`, '/products/:id'],
    [`/products/${ID}/uploads`, '/products/:id/uploads'],
    [`/uploads/${ID}/complete`, '/uploads/:id/complete'],
    [`/products/${ID}/images/${OTHER_ID}/original`, '/products/:id/images/:id/original'],
    [`/bulk/jobs/${ID}/pause`, '/bulk/jobs/:id/pause'],
    ['/readyz/all', '/readyz/all'],
    ['/console', '/console'],
    ['/console/assets/index-abc.js', '/console'],
    ['/shop/products/x', '/shop'],
    ['/trpc/products.byId', '/trpc/products.byId'],
    ['/trpc/products.onChange', '/trpc/products.onChange'],
    ['/trpc/products.byId,products.list', '/trpc/(batch)'],
    ['/trpc/products.nope', '/trpc/(unknown)'],
    ['/products/not-a-uuid', '(unmatched)'],
    ['/consoles', '(unmatched)'],
    [`/widgets/${ID}`, '(unmatched)'],
  ])('labels %s as %s', (path, label) => {
    expect(table.label(path)).toBe(label);
  });

  it.each([
    ['/products', 'GET, POST'],
    [`/products/${ID}`, 'GET, PATCH, DELETE'],
    [`/products/${ID}/`, 'GET, PATCH, DELETE'],
    [`/products/${ID}/reprocess`, 'POST'],
    [`/products/${ID}/images`, 'POST'],
    [`/products/${ID}/images/${OTHER_ID}/original`, 'GET'],
    [`/products/${ID}/uploads`, 'POST'],
    [`/bulk/jobs/${ID}`, 'GET'],
    ['/bulk/jobs', 'GET, POST'],
    ['/healthz', 'GET'],
    ['/openapi.json', 'GET'],
    ['/dev/token', 'POST'],
  ])('allows on %s: %s', (path, allow) => {
    expect(table.allow(path)).toBe(allow);
  });

  it('leaves paths of no route, and the single-page apps, to the 404', () => {
    for (const path of ['/nope', '/openapiXjson', '/console/x', '/shop', `/widgets/${ID}`]) {
      expect(table.allow(path), path).toBeUndefined();
    }
  });
});

describe('a newly added procedure', () => {
  const table = createRouteTable(withWidgets);

  it('gets its own metrics label, with `:id` for its parameter', () => {
    expect(table.label(`/widgets/${ID}`)).toBe('/widgets/:id');
    expect(table.label('/trpc/widgets.byId')).toBe('/trpc/widgets.byId');
  });

  it('gets 405 handling: the methods of its route as Allow', () => {
    expect(table.allow(`/widgets/${ID}`)).toBe('GET');
    expect(table.routes).toContainEqual({ path: '/widgets/{widgetId}', methods: ['GET'] });
  });
});
