import { createApi } from './api.js';
import { loadConfig } from './config.js';
import { createLogger } from './observability/logger.js';

const config = loadConfig(process.env);
const logger = createLogger(config.log.level);
const api = createApi(config, logger);

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    logger.info({ signal }, 'shutting down');
    api
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
  await api.start();
} catch (error) {
  logger.fatal({ err: error }, 'api failed to start');
  await api.stop();
  process.exitCode = 1;
}
