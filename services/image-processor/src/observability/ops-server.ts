import { createServer, type Server } from 'node:http';
import { checkDependency } from '@zocket/service-kit';
import type { ProcessorContext } from '../context.js';
import { dependencyChecks } from '../outage/dependency-checks.js';

/**
 * /healthz (process up); /readyz "can work": the consumer has joined its group (and is not
 * stopping), PostgreSQL and Kafka answer, and consuming is not paused for a dependency outage
 * (`paused` names the dependency); /readyz/all adds Redis, for dashboards; /metrics.
 */
export function createOpsServer(ctx: ProcessorContext, isConsuming: () => boolean): Server {
  const checks = dependencyChecks(ctx);
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
        checks.postgres(),
        // A joined member keeps "consuming" while kafkajs retries a lost broker, so readiness
        // asks the cluster itself, once, within the check's bound.
        checkDependency(() => ctx.kafkaProbe.check()),
        all ? checks.redis() : Promise.resolve(undefined),
      ]).then(([postgres, kafka, redis]) => {
        const paused = ctx.outage.outages;
        const consumer = !isConsuming()
          ? 'not consuming'
          : paused.length > 0
            ? `paused: ${paused.map((o) => o.dependency).join(', ')} unavailable`
            : 'ok';
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
            ...(paused.length > 0 ? { paused } : {}),
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
