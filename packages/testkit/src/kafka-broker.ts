import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Kafka, logLevel } from 'kafkajs';
import { killAndWait } from './child-process.js';
import { freePort } from './ports.js';
import { repoRoot } from './repo.js';

const run = promisify(execFile);

function kafkaLibs(): string {
  const state =
    process.env.ZOCKET_LOCAL_DIR ??
    join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'zocket-local');
  return join(state, 'kafka-libs');
}

export interface DedicatedKafka extends AsyncDisposable {
  brokers: string[];
  /** Stops the broker process (SIGKILL: an outage, not a clean shutdown). */
  kill(): Promise<void>;
  /** Starts it again on the same ports and data; resolves when it answers admin calls. */
  start(): Promise<void>;
  close(): Promise<void>;
}

/**
 * A KRaft cluster id: 16 random bytes in base64url. Like Kafka's own `random-uuid`, never one that
 * starts with '-', which the storage tool would read as an option (1 id in 64 otherwise).
 */
export function clusterId(): string {
  for (;;) {
    const id = randomBytes(16).toString('base64url');
    if (!id.startsWith('-')) return id;
  }
}

/**
 * A single-node KRaft broker of its own, from the jars infra/local/up caches, for tests that stop
 * and restart Kafka without disturbing the shared broker other test files use.
 */
export async function startDedicatedKafka(): Promise<DedicatedKafka> {
  const dir = await mkdtemp(join(tmpdir(), 'zocket-kafka-'));
  const [port, controllerPort] = [await freePort(), await freePort()];
  const template = await readFile(
    join(repoRoot(), 'infra', 'kafka', 'server.properties.template'),
    'utf8',
  );
  const properties = join(dir, 'server.properties');
  await writeFile(
    properties,
    template
      .replaceAll('@KAFKA_PORT@', String(port))
      .replaceAll('@KAFKA_CONTROLLER_PORT@', String(controllerPort))
      .replaceAll('@KAFKA_DATA_DIR@', join(dir, 'data')),
  );
  const java = [
    '-Xmx384m',
    '-XX:+UseSerialGC',
    '-XX:TieredStopAtLevel=1',
    '-cp',
    `${kafkaLibs()}/*`,
  ];
  const log4j = `-Dlog4j2.configurationFile=${join(repoRoot(), 'infra', 'kafka', 'tools-log4j2.properties')}`;
  await run('java', [
    ...java,
    log4j,
    'kafka.tools.StorageTool',
    'format',
    '--config',
    properties,
    '--cluster-id',
    clusterId(),
    '--standalone',
  ]);
  const brokers = [`127.0.0.1:${port}`];
  let child: ChildProcess | undefined;

  const waitReady = async () => {
    const kafka = new Kafka({
      clientId: 'zocket-testkit',
      brokers,
      logLevel: logLevel.NOTHING,
      retry: { retries: 0 },
    });
    const deadline = Date.now() + 60_000;
    for (;;) {
      const admin = kafka.admin();
      try {
        await admin.connect();
        await admin.listTopics();
        return;
      } catch (error) {
        if (Date.now() > deadline)
          throw new Error('dedicated Kafka broker did not become ready', { cause: error });
        if (child?.exitCode !== null && child?.exitCode !== undefined) {
          throw new Error(`dedicated Kafka broker exited with ${child.exitCode}`);
        }
        await new Promise((r) => setTimeout(r, 250));
      } finally {
        await admin.disconnect().catch(() => {});
      }
    }
  };

  // If the test process dies without closing the broker, do not leave the JVM behind.
  const killOnExit = () => child?.kill('SIGKILL');
  process.once('exit', killOnExit);

  const start = async () => {
    child = spawn('java', [...java, log4j, 'kafka.Kafka', properties], { stdio: 'ignore' });
    await waitReady();
  };
  const kill = async () => {
    const c = child;
    child = undefined;
    await killAndWait(c);
  };
  const close = async () => {
    process.removeListener('exit', killOnExit);
    await kill();
    await rm(dir, { recursive: true, force: true });
  };

  await start();
  return { brokers, kill, start, close, [Symbol.asyncDispose]: close };
}
