import type { Server } from 'node:http';
import type { Logger } from '@zocket/service-kit';
import { flushTracing } from '@zocket/telemetry';
import sharp from 'sharp';
import type { ProcessorConfig } from './config.js';
import { createProcessorContext, type ProcessorContext } from './context.js';
import { ImageJobConsumer } from './jobs/job-consumer.js';
import { lanesOf } from './jobs/lanes.js';
import { createOpsServer } from './observability/ops-server.js';

/** One image-processor process: consumer group member plus ops HTTP server. */
export interface Processor extends AsyncDisposable {
  ctx: ProcessorContext;
  /** One consumer per lane (PROCESSOR_LANES). */
  consumers: ImageJobConsumer[];
  /** Ready when every lane has joined its group. */
  consumer: { readonly ready: boolean };
  /** The ops server's bound port (useful with METRICS_PORT=0). */
  port: () => number;
  start(): Promise<void>;
  stop(): Promise<void>;
}

export function createProcessor(
  config: ProcessorConfig,
  logger: Logger,
  onFatal: (error: unknown) => void,
): Processor {
  // Throughput comes from images in flight (PROCESSOR_CONCURRENCY), each with SHARP_THREADS
  // libvips threads; sharp's own cache only helps repeated inputs.
  sharp.concurrency(config.jobs.sharpThreads);
  sharp.cache(false);
  const ctx = createProcessorContext(config, logger);
  const consumers = lanesOf(ctx).map((lane) => new ImageJobConsumer(ctx, lane, onFatal));
  const consumer = {
    get ready() {
      return consumers.every((c) => c.ready);
    },
  };
  let server: Server | undefined;
  let stopping: Promise<void> | undefined;

  const stop = () => {
    stopping ??= (async () => {
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<void>((resolve) => {
        timer = setTimeout(() => {
          logger.warn('in-flight jobs did not finish in time; their messages will be redelivered');
          resolve();
        }, config.jobs.shutdownTimeoutMs);
      });
      await Promise.race([
        Promise.all(consumers.map((c) => c.stop())).then(() => ctx.producer.disconnect()),
        timeout,
      ]);
      clearTimeout(timer);
      ctx.outage.stop();
      await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
      await ctx.kafkaProbe.stop();
      await ctx.scoring.close();
      ctx.cache.stop();
      ctx.redis.disconnect();
      ctx.s3.destroy();
      await ctx.db.destroy();
      logger.info('image processor stopped');
      // Last: main.ts exits right after, and buffered spans would be lost.
      await flushTracing();
    })();
    return stopping;
  };

  return {
    ctx,
    consumers,
    consumer,
    port: () => {
      const address = server?.address();
      return typeof address === 'object' && address !== null ? address.port : config.http.port;
    },
    async start() {
      const needed = config.jobs.concurrency * config.jobs.sharpThreads + 2;
      if (config.jobs.uvThreadpoolSize < needed) {
        logger.warn(
          { UV_THREADPOOL_SIZE: config.jobs.uvThreadpoolSize, recommended: needed },
          'the libuv pool is smaller than images in flight x sharp threads + 2 (DNS, files)',
        );
      }
      // Not ready once shutdown has begun, even while in-flight jobs finish.
      server = createOpsServer(ctx, () => consumer.ready && stopping === undefined);
      const s = server;
      await new Promise<void>((resolve, reject) => {
        s.once('error', reject);
        s.listen(config.http.port, config.http.host, () => resolve());
      });
      await ctx.redis.connect().catch((error: unknown) => {
        logger.warn(
          { err: error },
          'redis unavailable at start; cache invalidations will be retried',
        );
      });
      await ctx.producer.connect();
      for (const c of consumers) await c.start();
      logger.info(
        {
          lanes: consumers.map((c) => c.lane),
          sharpThreads: config.jobs.sharpThreads,
          profile: ctx.profile,
        },
        'image processor consuming',
      );
    },
    stop,
    [Symbol.asyncDispose]: stop,
  };
}
