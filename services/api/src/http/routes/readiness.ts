import { checkDependency } from '@zocket/service-kit';
import type { Hono } from 'hono';
import { sql } from 'kysely';
import type { ApiContext } from '../../api-context.js';

/**
 * Readiness, two views:
 * - `/readyz` "can serve": PostgreSQL answers and the process is not draining. This is the probe for
 *   load balancers: the API serves without Redis (reads from PostgreSQL) and without Kafka (jobs
 *   wait in the outbox), so an outage of either must not take every replica out of rotation.
 * - `/readyz/all` every dependency (PostgreSQL, Redis, Kafka), for dashboards and alerts.
 */
export function registerReadiness<E extends object>(
  app: Hono<E>,
  ctx: ApiContext,
  isDraining: () => boolean,
): void {
  const postgres = () => checkDependency(() => sql`select 1`.execute(ctx.db));

  app.get('/readyz', async (c) => {
    const draining = isDraining();
    const pg = draining ? 'not checked' : await postgres();
    const ready = !draining && pg === 'ok';
    return c.json(
      { status: ready ? 'ready' : 'not ready', postgres: pg, draining },
      ready ? 200 : 503,
    );
  });

  app.get('/readyz/all', async (c) => {
    const [pg, redis, kafka] = await Promise.all([
      postgres(),
      checkDependency(() => ctx.redis.ping()),
      checkDependency(() => ctx.kafkaProbe.check()),
    ]);
    const ready = pg === 'ok' && redis === 'ok' && kafka === 'ok';
    return c.json(
      { status: ready ? 'ready' : 'not ready', postgres: pg, redis, kafka },
      ready ? 200 : 503,
    );
  });
}
