import { createLogger, loadConfigOrExit, runUntilSignal } from '@zocket/service-kit';
import { loadConfig } from './config.js';
import { createProcessor } from './service.js';

const config = loadConfigOrExit('zocket-image-processor', () => loadConfig(process.env));
const logger = createLogger('zocket-image-processor', config.log.level);

const processor = createProcessor(config, logger, (error) => {
  // The consumer will not restart itself: exit non-zero so a supervisor restarts the process.
  logger.fatal({ err: error }, 'consumer crashed for good; exiting');
  void processor.stop().finally(() => process.exit(1));
});

await runUntilSignal(processor, logger);
