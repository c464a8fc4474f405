import { loadConfig } from './config.js';
import { createLogger } from './observability/logger.js';
import { createProcessor } from './processor.js';

const config = loadConfig(process.env);
const logger = createLogger(config.log.level);

const processor = createProcessor(config, logger, (error) => {
  // The consumer will not restart itself: exit non-zero so a supervisor restarts the process.
  logger.fatal({ err: error }, 'consumer crashed for good; exiting');
  void processor.stop().finally(() => process.exit(1));
});

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    logger.info({ signal }, 'shutting down');
    processor
      .stop()
      .catch((error: unknown) => {
        logger.error({ err: error }, 'shutdown failed');
        process.exitCode = 1;
      })
      // Everything is stopped and flushed: a stray client timer must not keep the process alive.
      .finally(() => process.exit());
  });
}

try {
  await processor.start();
} catch (error) {
  logger.fatal({ err: error }, 'image processor failed to start');
  await processor.stop();
  process.exitCode = 1;
}
