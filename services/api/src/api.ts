import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { getRequestListener, type ServerType } from '@hono/node-server';
import type { Logger } from '@zocket/service-kit';
import { flushTracing } from '@zocket/telemetry';
import { type ApiContext, createApiContext } from './api-context.js';
import { BulkCommandConsumer } from './bulk/bulk-command-consumer.js';
import { BulkDispatcher } from './bulk/bulk-dispatcher.js';
import { LiveLagProbe } from './bulk/live-lag.js';
import { type ApiConfig, DEV_JWT_SECRET } from './config.js';
import { createHttpApp } from './http/app.js';
import { withCachedReads } from './http/cached-read.js';
import { answerClientError } from './http/client-error.js';
import { withDirectStreams } from './http/direct-streams.js';
import { createSecureHeaders } from './http/middleware.js';
import { createRequestRecorder } from './http/request-record.js';
import { OutboxRelay } from './outbox/outbox-relay.js';
import { UploadJanitor } from './uploads/upload-janitor.js';

/** The API process: HTTP server plus outbox relay. create -> start -> stop. */
export interface Api extends AsyncDisposable {
  ctx: ApiContext;
  httpApp: ReturnType<typeof createHttpApp>;
  relay: OutboxRelay;
  janitor: UploadJanitor;
  dispatcher: BulkDispatcher;
  commands: BulkCommandConsumer;
  /** The bound port (useful with PORT=0). */
  port: () => number;
  start(): Promise<void>;
  stop(): Promise<void>;
}

export function createApi(config: ApiConfig, logger: Logger): Api {
  const ctx = createApiContext(config, logger);
  let draining = false;
  const httpApp = createHttpApp(ctx, () => draining);
  const relay = new OutboxRelay({
    db: ctx.db,
    databaseUrl: config.db.url,
    kafka: ctx.kafka,
    logger,
    metrics: ctx.metrics,
    config: config.outbox,
  });
  const janitor = new UploadJanitor({
    db: ctx.db,
    s3: ctx.s3,
    bucket: config.s3.bucket,
    logger,
    intervalMs: config.uploads.janitorIntervalMs,
    tombstoneRetentionSeconds: config.live.tombstoneRetentionSeconds,
  });
  const dispatcher = new BulkDispatcher({
    db: ctx.db,
    topics: ctx.topics,
    lag: new LiveLagProbe(ctx.kafka, ctx.topics.imageJobs, config.bulk.liveGroupId),
    logger,
    metrics: ctx.metrics,
    config: config.bulk,
  });
  const commands = new BulkCommandConsumer({
    db: ctx.db,
    kafka: ctx.kafka,
    topic: ctx.topics.bulkCommands,
    dlqTopic: ctx.topics.bulkCommandsDlq,
    groupId: config.bulk.commandsGroupId,
    logger,
    metrics: ctx.metrics,
  });
  let server: ServerType | undefined;
  let boundPort = config.http.port;
  let stopping: Promise<void> | undefined;

  const stop = () => {
    stopping ??= (async () => {
      draining = true;
      // End live streams first (their clients resume elsewhere by last event id), stop
      // accepting, let in-flight requests finish (bounded), then the relay, then the pools.
      ctx.live.stop();
      // Let the ended streams flush, so their connections are idle when the server closes.
      await new Promise((resolve) => setTimeout(resolve, 50));
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
      // The dispatcher's last page is in the outbox before the relay's final drain.
      await commands.stop();
      await dispatcher.stop();
      await relay.stop();
      await janitor.stop();
      await ctx.kafkaProbe.stop();
      ctx.redis.disconnect();
      ctx.s3.destroy();
      ctx.presigner.destroy();
      await ctx.db.destroy();
      logger.info('api stopped');
      // Last: main.ts exits right after, and buffered spans would be lost.
      await flushTracing();
    })();
    return stopping;
  };

  return {
    ctx,
    httpApp,
    relay,
    janitor,
    dispatcher,
    commands,
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
        // Cache hits of the byId reads are answered in front of the Hono app (cached-read.ts).
        const secure = createSecureHeaders();
        const record = createRequestRecorder(ctx.metrics, logger);
        const listener = withCachedReads(
          ctx.cache,
          { enabled: config.redis.cacheEnabled, secure, record },
          // products.onChange streams are opened in front of the app too (direct-streams.ts).
          withDirectStreams(
            ctx,
            { secure, record },
            getRequestListener(httpApp.fetch, { hostname: config.http.host }),
          ),
        );
        const http = createServer(listener);
        http.on('clientError', answerClientError);
        server = http;
        http.once('error', reject);
        http.listen(config.http.port, config.http.host, () => {
          boundPort = (http.address() as AddressInfo).port;
          resolve();
        });
      });
      await ctx.live.hub.start();
      relay.start();
      janitor.start();
      if (config.bulk.dispatcherEnabled) dispatcher.start();
      if (config.bulk.commandsEnabled) commands.start();
      logger.info({ host: config.http.host, port: boundPort }, 'api listening');
    },
    stop,
    [Symbol.asyncDispose]: stop,
  };
}
