import { fetchRequestHandler } from '@trpc/server/adapters/fetch';
import { Hono } from 'hono';
import type { AppContext } from '../../app-context.js';
import { appRouter } from '../../trpc/app.router.js';
import type { HttpEnv } from '../middleware.js';
import { createRequestContext, logProcedureError } from '../request-context.js';

/** The tRPC router at `/trpc` (batching on, bounded). */
export function trpcRoutes(ctx: AppContext) {
  const routes = new Hono<HttpEnv>();
  routes.all('/trpc/*', (c) =>
    fetchRequestHandler({
      endpoint: '/trpc',
      req: c.req.raw,
      router: appRouter,
      // Each call in a batch is a procedure run: a bound keeps one request from fanning out.
      maxBatchSize: ctx.config.http.trpcMaxBatchSize,
      createContext: () =>
        createRequestContext(ctx, c.req.header('authorization'), c.get('requestId')),
      onError: ({ error, path }) => logProcedureError(ctx.logger, error, c.get('requestId'), path),
    }),
  );
  return routes;
}
