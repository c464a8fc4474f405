import { type ServerType, serve } from '@hono/node-server';
import type { Logger } from '@zocket/service-kit';
import { type ApiContext, createApiContext } from './api-context.js';
import { type ApiConfig, DEV_JWT_SECRET } from './config.js';
import { createHttpApp } from './http/app.js';
import { OutboxRelay } from './outbox/outbox-relay.js';

/** The API process: HTTP server plus outbox relay. create -> start -> stop. */
export interface Api extends AsyncDisposable {
  ctx: ApiContext;
  httpApp: ReturnType<typeof createHttpApp>;
  relay: OutboxRelay;
  /** The bound port (useful with PORT=0). */
  port: () => number;
  start(): Promise<void>;
  stop(): Promise<void>;
}

export function createApi(config: ApiConfig, logger: Logger): Api {
  const ctx = createApiContext(config, logger);
  const httpApp = createHttpApp(ctx);
  const relay = new OutboxRelay({
    db: ctx.db,
    databaseUrl: config.db.url,
    kafka: ctx.kafka,
    logger,
    metrics: ctx.metrics,
    config: config.outbox,
  });
  let server: ServerType | undefined;
  let boundPort = config.http.port;
  let stopping: Promise<void> | undefined;

  const stop = () => {
    stopping ??= (async () => {
      // Stop accepting, let in-flight requests finish (bounded), then the relay, then the pools.
      if (server !== undefined) {
        const s = server;
        await new Promise<void>((resolve) => {
          const timer = setTimeout(() => {
            if ('closeAllConnections' in s) s.closeAllConnections();
            resolve();
          }, config.http.shutdownTimeoutMs);
          s.close(() => {
            clearTimeout(timer);
            resolve();
          });
          if ('closeIdleConnections' in s) s.closeIdleConnections();
        });
      }
      await relay.stop();
      ctx.redis.disconnect();
      ctx.s3.destroy();
      await ctx.db.destroy();
      logger.info('api stopped');
    })();
    return stopping;
  };

  return {
    ctx,
    httpApp,
    relay,
    port: () => boundPort,
    async start() {
      if (config.auth.jwtSecret === DEV_JWT_SECRET) {
        logger.warn(
          'AUTH_JWT_SECRET is the development default: set it (or AUTH_JWKS_URL) in production',
        );
      }
      await ctx.redis.connect().catch((error: unknown) => {
        logger.warn({ err: error }, 'redis unavailable at start; reads go to PostgreSQL');
      });
      await new Promise<void>((resolve, reject) => {
        server = serve(
          { fetch: httpApp.fetch, hostname: config.http.host, port: config.http.port },
          (info) => {
            boundPort = info.port;
            resolve();
          },
        );
        server.once('error', reject);
      });
      relay.start();
      logger.info({ host: config.http.host, port: boundPort }, 'api listening');
    },
    stop,
    [Symbol.asyncDispose]: stop,
  };
}
