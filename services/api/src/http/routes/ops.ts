import { outboxBacklog } from '@zocket/db';
import { Hono } from 'hono';
import { sql } from 'kysely';
import type { ApiContext } from '../../api-context.js';
import type { HttpEnv } from '../middleware.js';
import { buildOpenApiDocument } from '../openapi.js';

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  return Promise.race([
    promise,
    new Promise<T>((_, reject) =>
      setTimeout(() => reject(new Error(`timed out after ${ms} ms`)), ms).unref(),
    ),
  ]);
}

/** Liveness, readiness, Prometheus metrics and the OpenAPI document. */
export function opsRoutes(ctx: ApiContext) {
  const { config, logger, metrics } = ctx;
  const routes = new Hono<HttpEnv>();

  routes.get('/healthz', (c) => c.json({ status: 'ok' }));

  routes.get('/readyz', async (c) => {
    const check = async (run: () => Promise<unknown>) => {
      try {
        await withTimeout(run(), 2_000);
        return 'ok';
      } catch (error) {
        return error instanceof Error ? error.message : 'unavailable';
      }
    };
    const admin = ctx.kafka.admin();
    const [postgres, redis, kafka] = await Promise.all([
      check(() => sql`select 1`.execute(ctx.db)),
      check(() => ctx.redis.ping()),
      check(async () => {
        await admin.connect();
        try {
          await admin.describeCluster();
        } finally {
          await admin.disconnect();
        }
      }),
    ]);
    const ready = postgres === 'ok' && redis === 'ok' && kafka === 'ok';
    return c.json(
      { status: ready ? 'ready' : 'not ready', postgres, redis, kafka },
      ready ? 200 : 503,
    );
  });

  routes.get('/metrics', async (c) => {
    try {
      const backlog = await outboxBacklog(ctx.db);
      metrics.outboxBacklog.set(backlog.count);
      metrics.outboxOldestAge.set(backlog.oldestAgeSeconds);
    } catch (error) {
      logger.warn({ err: error }, 'cannot read the outbox backlog for metrics');
    }
    return c.text(await metrics.registry.metrics(), 200, {
      'Content-Type': metrics.registry.contentType,
    });
  });

  const openApiDocument = buildOpenApiDocument(`http://${config.http.host}:${config.http.port}`);
  routes.get('/openapi.json', (c) => c.json(openApiDocument));

  return routes;
}
