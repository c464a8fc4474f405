import { runLeftoverTeardowns, runningChildren, stopChildren } from './children.js';
import { log } from './log.js';

/**
 * Runs one section of the bench: a failure is logged and recorded in `failures` (the other
 * sections still run), and any child process or teardown the section left behind is stopped or run
 * either way.
 */
export async function runSection<T>(
  name: string,
  run: () => Promise<T>,
  failures: Record<string, string>,
): Promise<T | undefined> {
  try {
    return await run();
  } catch (error) {
    log(`section ${name} failed: ${(error as Error).stack ?? String(error)}`);
    failures[name] = (error as Error).message ?? String(error);
    return undefined;
  } finally {
    const left = runningChildren();
    if (left.length > 0) {
      log(`section ${name} left ${left.length} child process(es) running: stopping them`);
      await stopChildren();
    }
    const teardowns = await runLeftoverTeardowns();
    if (teardowns > 0) log(`section ${name}: ran ${teardowns} teardown(s) its owner had not`);
  }
}
