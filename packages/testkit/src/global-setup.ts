import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { TestProject } from 'vitest/node';
import { repoRoot } from './repo.js';
import { parseExports, servicesFromEnv, type TestServices } from './services.js';

const run = promisify(execFile);

async function dockerAnswers(): Promise<boolean> {
  try {
    await run('docker', ['info', '--format', '{{.ServerVersion}}'], { timeout: 5_000 });
    return true;
  } catch {
    return false;
  }
}

async function fromInfraLocal(): Promise<TestServices> {
  const { stdout } = await run(join(repoRoot(), 'infra', 'local', 'up'), [], {
    timeout: 15 * 60_000,
    maxBuffer: 1 << 20,
  });
  const services = servicesFromEnv(parseExports(stdout));
  if (services === undefined)
    throw new Error(`infra/local/up printed no usable exports:\n${stdout}`);
  return { ...services, origin: 'infra-local' };
}

/**
 * Resolves the services once per run: the environment when set (CI evals infra/local/up first),
 * else testcontainers when a Docker engine answers, else infra/local/up.
 */
export async function setup(project: TestProject): Promise<() => Promise<void>> {
  const fromEnv = servicesFromEnv(process.env);
  if (fromEnv !== undefined) {
    project.provide('services', fromEnv);
    return async () => {};
  }
  if (await dockerAnswers()) {
    const { startContainers } = await import('./containers.js');
    const { services, stop } = await startContainers();
    project.provide('services', services);
    return stop;
  }
  project.provide('services', await fromInfraLocal());
  // Services started by infra/local stay up for the next run; `infra/local/down` stops them.
  return async () => {};
}
