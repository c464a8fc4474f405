import type { Server } from 'node:http';
import type { Logger } from '@zocket/service-kit';
import sharp from 'sharp';
import type { ProcessorConfig } from './config.js';
import { createProcessorContext, type ProcessorContext } from './context.js';
import { ImageJobConsumer } from './jobs/job-consumer.js';
import { createOpsServer } from './observability/ops-server.js';

/** One image-processor process: consumer group member plus ops HTTP server. */
export interface Processor extends AsyncDisposable {
  ctx: ProcessorContext;
  consumer: ImageJobConsumer;
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
  const consumer = new ImageJobConsumer(ctx, onFatal);
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
      await Promise.race([consumer.stop(), timeout]);
      clearTimeout(timer);
      await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
      ctx.cache.stop();
      ctx.redis.disconnect();
      ctx.s3.destroy();
      await ctx.db.destroy();
      logger.info('image processor stopped');
    })();
    return stopping;
  };

  return {
    ctx,
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
      server = createOpsServer(ctx, () => consumer.ready);
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
      await consumer.start();
      logger.info(
        {
          groupId: config.kafka.groupId,
          concurrency: config.jobs.concurrency,
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
