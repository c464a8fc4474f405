import { outboxBacklog } from '@zocket/db';
import { Hono } from 'hono';
import type { OpenApiRouter } from 'trpc-to-openapi';
import type { ApiContext } from '../../api-context.js';
import type { HttpEnv } from '../middleware.js';
import { buildOpenApiDocument } from '../openapi.js';
import { registerReadiness } from './readiness.js';

/** Liveness, readiness, Prometheus metrics and the OpenAPI document. */
export function opsRoutes(ctx: ApiContext, isDraining: () => boolean, router: OpenApiRouter) {
  const { config, logger, metrics } = ctx;
  const routes = new Hono<HttpEnv>();

  routes.get('/healthz', (c) => c.json({ status: 'ok' }));

  registerReadiness(routes, ctx, isDraining);

  routes.get('/metrics', async (c) => {
    try {
      const backlog = await outboxBacklog(ctx.db);
      metrics.outboxBacklog.set(backlog.count);
      metrics.outboxOldestAge.set(backlog.oldestAgeSeconds);
    } catch (error) {
      logger.warn({ err: error }, 'cannot read the outbox backlog for metrics');
    }
    return c.text(await metrics.render(), 200, {
      'Content-Type': metrics.registry.contentType,
    });
  });

  const openApiDocument = buildOpenApiDocument(
    router,
    `http://${config.http.host}:${config.http.port}`,
    {
      maxFileBytes: config.uploads.maxFileBytes,
      maxFiles: config.uploads.maxFiles,
    },
  );
  routes.get('/openapi.json', (c) => c.json(openApiDocument));

  return routes;
}
