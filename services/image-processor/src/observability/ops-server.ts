import { createServer, type Server } from 'node:http';
import { sql } from 'kysely';
import type { ProcessorContext } from '../context.js';

/** /healthz (process up), /readyz (group joined, PostgreSQL answers), /metrics. */
export function createOpsServer(ctx: ProcessorContext, isConsuming: () => boolean): Server {
  return createServer((req, res) => {
    const send = (status: number, body: string, type = 'application/json') => {
      res.writeHead(status, { 'content-type': type });
      res.end(body);
    };
    const path = req.url?.split('?')[0];
    if (req.method !== 'GET') return send(405, JSON.stringify({ error: 'method not allowed' }));
    if (path === '/healthz') return send(200, JSON.stringify({ status: 'ok' }));
    if (path === '/readyz') {
      sql`select 1`
        .execute(ctx.db)
        .then(
          () => 'ok',
          (error: unknown) => (error instanceof Error ? error.message : 'unavailable'),
        )
        .then((postgres) => {
          const consumer = isConsuming() ? 'ok' : 'not consuming';
          const ready = postgres === 'ok' && consumer === 'ok';
          send(
            ready ? 200 : 503,
            JSON.stringify({ status: ready ? 'ready' : 'not ready', postgres, consumer }),
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
