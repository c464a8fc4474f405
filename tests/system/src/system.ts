import { type ChildProcess, spawn } from 'node:child_process';
import { createWriteStream, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { createDb, migrateToLatest } from '@zocket/db';
import {
  childProcessEnv,
  createTestDatabase,
  repoRoot,
  type TestDatabase,
  type TestServices,
  waitFor,
} from '@zocket/testkit';

export { freePort } from '@zocket/testkit';

/** A service started from its build as a separate process; its output goes to a log file. */
export interface ServiceProcess {
  name: string;
  child: ChildProcess;
  logFile: string;
  /** SIGKILL: the process dies without any cleanup. */
  kill9(): Promise<void>;
  /** SIGTERM and wait for the exit code; SIGKILL (and null) if it has not exited in time. */
  stop(timeoutMs?: number): Promise<number | null>;
}

/** `nodeArgs` go before the entry (e.g. `--import @zocket/telemetry/register`). */
export function startService(
  name: string,
  entry: string,
  env: NodeJS.ProcessEnv,
  nodeArgs: readonly string[] = [],
): ServiceProcess {
  const logDir = join(repoRoot(), 'tests', 'system', '.logs');
  mkdirSync(logDir, { recursive: true });
  const logFile = join(logDir, `${name}-${Date.now()}.log`);
  const log = createWriteStream(logFile);
  const child = spawn(process.execPath, [...nodeArgs, join(repoRoot(), entry)], {
    env: childProcessEnv(env),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout?.pipe(log);
  child.stderr?.pipe(log);
  const exited = new Promise<number | null>((resolve) =>
    child.once('exit', (code) => resolve(code)),
  );
  // If the test process dies first, do not leave the service running.
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);
  void exited.then(() => process.removeListener('exit', killOnExit));
  return {
    name,
    child,
    logFile,
    async kill9() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    },
    async stop(timeoutMs = 45_000) {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
      const code = await exited;
      clearTimeout(timer);
      return code;
    },
  };
}

/** Resolves once GET url answers 200 (or fails with the service's exit). */
export async function waitHealthy(
  url: string,
  service: ServiceProcess,
  timeoutMs = 60_000,
): Promise<void> {
  await waitFor(
    async () => {
      if (service.child.exitCode !== null) {
        throw new Error(
          `${service.name} exited with ${service.child.exitCode}; see ${service.logFile}`,
        );
      }
      const response = await fetch(url).catch(() => undefined);
      return response?.status === 200 ? true : undefined;
    },
    { timeoutMs, intervalMs: 200, what: `${url} to answer 200 (log: ${service.logFile})` },
  );
}

/** Applies every migration to the database at `url`, on a connection of its own. */
export async function migrateDatabase(url: string): Promise<void> {
  const db = createDb({ url, max: 1 });
  try {
    await migrateToLatest(db);
  } finally {
    await db.destroy();
  }
}

/** A database of the test's own, with every migration applied. */
export async function createMigratedDatabase(services: TestServices): Promise<TestDatabase> {
  const database = await createTestDatabase(services);
  await migrateDatabase(database.url);
  return database;
}
