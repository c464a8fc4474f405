import { httpInstrumentationMiddleware } from '@hono/otel';
import { tracingActive } from '@zocket/telemetry';
import { Hono } from 'hono';
import type { OpenApiRouter } from 'trpc-to-openapi';
import type { ApiContext } from '../api-context.js';
import { appRouter } from '../trpc/app.router.js';
import { uploadRoutes } from '../uploads/uploads.routes.js';
import { errorResponse, handleError } from './errors.js';
import { createSecureHeaders, type HttpEnv, useMiddleware } from './middleware.js';
import { createRequestRecorder } from './request-record.js';
import { restRoutes } from './rest.js';
import { createRouteTable } from './route-table.js';
import { mountConsole, mountStorefront } from './routes/console.js';
import { mountDevToken } from './routes/dev-token.js';
import { opsRoutes } from './routes/ops.js';
import { trpcRoutes } from './routes/trpc.js';

/**
 * The HTTP surface: tRPC at /trpc, its REST twin, uploads, health, metrics, OpenAPI, the console
 * (/console), the storefront (/shop) and, outside production, development tokens (/dev/token).
 * `isDraining` turns `/readyz` to 503 once shutdown has begun (see routes/readiness.ts). The
 * metrics labels and the 405 answers come from one route table (route-table.ts), made of
 * `router`'s `openapi` meta, which the OpenAPI document is generated from too.
 */
export function createHttpApp(
  ctx: ApiContext,
  isDraining: () => boolean = () => false,
  router: OpenApiRouter = appRouter,
) {
  const { logger } = ctx;
  const app = new Hono<HttpEnv>();
  const routes = createRouteTable(router);

  // Server spans (the incoming traceparent continued), named by the metrics' bounded route label.
  // Mounted only when a tracer provider is registered: with tracing off, requests (the cached
  // read above all) pay nothing for it. Cache hits answered in front of the app (cached-read.ts)
  // get no span: they are counted in the metrics and logged like every request.
  if (tracingActive()) {
    app.use(
      httpInstrumentationMiddleware({
        spanNameFactory: (c) => `${c.req.method} ${routes.label(c.req.path)}`,
      }),
    );
  }
  useMiddleware(
    app,
    ctx,
    createSecureHeaders(),
    createRequestRecorder(ctx.metrics, logger),
    routes,
  );
  app.onError((error, c) =>
    handleError(error, c, (e) =>
      logger.error({ err: e, requestId: c.get('requestId') }, 'unhandled error'),
    ),
  );
  app.notFound((c) => errorResponse(c, 'NOT_FOUND', `no route for ${c.req.method} ${c.req.path}`));

  app.route('/', opsRoutes(ctx, isDraining, router));
  app.route('/', trpcRoutes(ctx, router));
  app.route('/', uploadRoutes(ctx));
  mountDevToken(app, ctx.config.auth);
  mountConsole(app, ctx.config.console.dir);
  mountStorefront(app, ctx.config.storefront.dir);
  // Last: the REST twin takes every path the routes above did not.
  app.route('/', restRoutes(ctx, router, routes));

  return app;
}
