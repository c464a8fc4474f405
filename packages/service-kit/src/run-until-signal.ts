import type { Logger } from './logger.js';

/** What a composition root runs: the service's lifecycle. */
export interface Runnable {
  start(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * Starts a service and stops it on SIGINT or SIGTERM, then exits. Only for `main.ts`: it owns
 * the process. A start that fails stops what was started and sets a non-zero exit code.
 */
export async function runUntilSignal(service: Runnable, logger: Logger): Promise<void> {
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      logger.info({ signal }, 'shutting down');
      service
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
    await service.start();
  } catch (error) {
    logger.fatal({ err: error }, 'failed to start');
    await service.stop();
    process.exitCode = 1;
  }
}
