// An isolated world for the live, bulk and faults sections: a database and topics of its own, an
// image server answering from a callback, and API/processor processes started on demand.
import type { ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage } from 'node:http';
import { join } from 'node:path';
import { API_NODE_FLAGS, signDevToken } from '@zocket/api';
import { type Topics, topicNames } from '@zocket/contracts';
import { createDb, type Db, migrateToLatest } from '@zocket/db';
import {
  createTestDatabase,
  createTestTopics,
  freePort,
  repoRoot,
  servicesToEnv,
} from '@zocket/testkit';
import { onInterrupt, spawnBenchChild, stopChildren } from './children.js';
import type { BenchConfig } from './config.js';
import { log } from './log.js';
import { waitOk } from './system.js';

/** Answers an image request with bytes, or undefined for a 404. */
export type ImageSource = (
  req: IncomingMessage,
) => Buffer | undefined | Promise<Buffer | undefined>;

export interface StartedService {
  child: ChildProcess;
  url: string;
  /** Kill it on purpose (no "exited early" line). */
  kill(signal: NodeJS.Signals): void;
}

export interface BenchWorld {
  runId: string;
  db: Db;
  /** The world's database, for a pool of another size. */
  databaseUrl: string;
  topics: Topics;
  imageBase: string;
  profileVersion: string;
  startApi(name: string, env?: NodeJS.ProcessEnv): Promise<StartedService>;
  startProcessor(name: string, env?: NodeJS.ProcessEnv): Promise<StartedService>;
  token(subject: string, roles?: string[]): Promise<string>;
  stop(): Promise<void>;
}

/** Resident set (VmRSS) of a process now, in MiB. */
export function rssMb(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : Number.NaN;
}

export async function startWorld(
  config: Pick<BenchConfig, 'services' | 'path'>,
  label: string,
  images: ImageSource,
): Promise<BenchWorld> {
  const { services } = config;
  const runId = `${label}_${Date.now().toString(36)}_${randomUUID().slice(0, 4)}`;
  const database = await createTestDatabase(services);
  const db = createDb({ url: database.url, max: 2 });
  await migrateToLatest(db);
  const prefix = `${runId}.`;
  const topics = topicNames(prefix);
  const createdTopics = await createTestTopics(
    services,
    Object.entries(topics).map(([key, name]) => ({
      name,
      partitions: key.startsWith('imageJobs') && key !== 'imageJobsDlq' ? 12 : 1,
    })),
    { uniqueNames: false },
  );
  const server = createServer((req, res) => {
    Promise.resolve(images(req)).then(
      (bytes) => {
        if (!bytes) return void res.writeHead(404).end();
        res
          .writeHead(200, { 'content-type': 'image/png', 'content-length': bytes.length })
          .end(bytes);
      },
      () => void res.writeHead(500).end(),
    );
  });
  const imagePort = await new Promise<number>((resolve) =>
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      resolve(typeof address === 'object' && address !== null ? address.port : 0);
    }),
  );

  const teardown = async () => {
    server.close();
    await db.destroy();
    await createdTopics.delete().catch(() => {});
    await database.drop();
  };
  const forgetTeardown = onInterrupt(teardown);

  const secret = randomUUID();
  const profileVersion = runId.replace(/_/g, '-').slice(0, 32);
  const common: NodeJS.ProcessEnv = {
    ...(config.path === undefined ? {} : { PATH: config.path }),
    ...servicesToEnv(services),
    DATABASE_URL: database.url,
    CACHE_KEY_PREFIX: runId,
    KAFKA_TOPIC_PREFIX: prefix,
    LOG_LEVEL: 'warn',
  };
  const children = new Set<ChildProcess>();
  const meant = new WeakSet<ChildProcess>();
  let stopping = false;
  const start = async (
    name: string,
    entry: string,
    readyPath: (port: number) => string,
    portVar: string,
    env: NodeJS.ProcessEnv,
    flags: readonly string[] = [],
  ): Promise<StartedService> => {
    const port = await freePort();
    const child = spawnBenchChild([...flags, join(repoRoot(), entry)], {
      env: { ...common, [portVar]: String(port), ...env },
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    child.on('exit', (code, signal) => {
      children.delete(child);
      if (!stopping && !meant.has(child)) log(`${name} exited early with ${code ?? signal}`);
    });
    children.add(child);
    const url = `http://127.0.0.1:${port}`;
    await waitOk(readyPath(port));
    return {
      child,
      url,
      kill(signal) {
        meant.add(child);
        child.kill(signal);
      },
    };
  };

  return {
    runId,
    db,
    databaseUrl: database.url,
    topics,
    imageBase: `http://127.0.0.1:${imagePort}`,
    profileVersion,
    startApi: (name, env = {}) =>
      start(
        name,
        'services/api/dist/main.js',
        (p) => `http://127.0.0.1:${p}/readyz`,
        'PORT',
        // The image server is on loopback: the API refuses such URLs unless allowlisted.
        { API_WORKERS: '1', AUTH_JWT_SECRET: secret, FETCH_ALLOWLIST: '127.0.0.1', ...env },
        API_NODE_FLAGS,
      ),
    startProcessor: (name, env = {}) =>
      start(
        name,
        'services/image-processor/dist/main.js',
        (p) => `http://127.0.0.1:${p}/readyz`,
        'METRICS_PORT',
        {
          KAFKA_GROUP_ID: `${runId}-processors`,
          FETCH_ALLOWLIST: '127.0.0.1',
          UV_THREADPOOL_SIZE: '8',
          PUBLIC_IMAGE_BASE_URL: `${services.s3.endpoint}/${services.s3.bucket}`,
          VARIANT_PROFILE_VERSION: profileVersion,
          ...env,
        },
      ),
    // The API's defaults for issuer and audience (the bench sets only the secret).
    token: (subject, roles) =>
      signDevToken({
        secret,
        issuer: 'zocket-local',
        audience: 'zocket-api',
        subject,
        ttlSeconds: 7200,
        ...(roles === undefined ? {} : { roles }),
      }),
    async stop() {
      stopping = true;
      await stopChildren(children);
      forgetTeardown();
      await teardown();
    },
  };
}

/** POSTs JSON (or GETs) with a bearer token; throws unless 200. */
export async function callApi<T>(
  apiUrl: string,
  method: 'GET' | 'POST',
  path: string,
  token: string,
  body?: unknown,
): Promise<T> {
  const r = await fetch(`${apiUrl}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${token}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await r.text();
  if (r.status !== 200) throw new Error(`${method} ${path} answered ${r.status}: ${text}`);
  return JSON.parse(text) as T;
}
