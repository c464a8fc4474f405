/** How long a readiness probe waits for one dependency before it reports it as not answering. */
export const HEALTH_CHECK_TIMEOUT_MS = 2_000;

/**
 * Runs one dependency check of a readiness probe: 'ok', or why the dependency did not answer
 * within `timeoutMs` (the probe itself must answer in time, whatever the dependency does).
 */
export async function checkDependency(
  run: () => Promise<unknown>,
  timeoutMs = HEALTH_CHECK_TIMEOUT_MS,
): Promise<string> {
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      run(),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`timed out after ${timeoutMs} ms`)), timeoutMs);
        timer.unref();
      }),
    ]);
    return 'ok';
  } catch (error) {
    return error instanceof Error ? error.message : 'unavailable';
  } finally {
    clearTimeout(timer);
  }
}
