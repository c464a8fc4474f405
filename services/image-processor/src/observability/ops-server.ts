import { createServer, type Server } from 'node:http';
import { checkDependency } from '@zocket/service-kit';
import { sql } from 'kysely';
import type { ProcessorContext } from '../context.js';

/**
 * /healthz (process up); /readyz "can work": the consumer has joined its group (and is not
 * stopping), PostgreSQL and Kafka answer; /readyz/all adds Redis, for dashboards; /metrics.
 */
export function createOpsServer(ctx: ProcessorContext, isConsuming: () => boolean): Server {
  return createServer((req, res) => {
    const send = (status: number, body: string, type = 'application/json') => {
      res.writeHead(status, { 'content-type': type });
      res.end(body);
    };
    const path = req.url?.split('?')[0];
    if (req.method !== 'GET') return send(405, JSON.stringify({ error: 'method not allowed' }));
    if (path === '/healthz') return send(200, JSON.stringify({ status: 'ok' }));
    if (path === '/readyz' || path === '/readyz/all') {
      const all = path === '/readyz/all';
      void Promise.all([
        checkDependency(() => sql`select 1`.execute(ctx.db)),
        // A joined member keeps "consuming" while kafkajs retries a lost broker, so readiness
        // asks the cluster itself, once, within the check's bound.
        checkDependency(() => ctx.kafkaProbe.check()),
        all ? checkDependency(() => ctx.redis.ping()) : Promise.resolve(undefined),
      ]).then(([postgres, kafka, redis]) => {
        const consumer = isConsuming() ? 'ok' : 'not consuming';
        const ready =
          postgres === 'ok' && kafka === 'ok' && consumer === 'ok' && (redis ?? 'ok') === 'ok';
        send(
          ready ? 200 : 503,
          JSON.stringify({
            status: ready ? 'ready' : 'not ready',
            postgres,
            kafka,
            consumer,
            redis,
          }),
        );
      });
      return;
    }
    if (path === '/metrics') {
      ctx.metrics.registry.metrics().then(
        (text) => send(200, text, ctx.metrics.registry.contentType),
        () => send(500, JSON.stringify({ error: 'metrics unavailable' })),
      );
      return;
    }
    send(404, JSON.stringify({ error: 'not found' }));
  });
}
