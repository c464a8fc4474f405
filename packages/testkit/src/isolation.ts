import { randomBytes } from 'node:crypto';
import { Kafka, logLevel } from 'kafkajs';
import pg from 'pg';
import type { TestServices } from './services.js';

/** A name no other test or earlier run uses: prefix, time, randomness. */
export function uniqueName(prefix: string): string {
  return `${prefix}_${Date.now().toString(36)}_${randomBytes(4).toString('hex')}`;
}

function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${database}`;
  return u.toString();
}

export interface TestDatabase extends AsyncDisposable {
  name: string;
  url: string;
  drop(): Promise<void>;
}

/** Creates an empty database of its own for one test file; `drop()` removes it. */
export async function createTestDatabase(services: TestServices): Promise<TestDatabase> {
  const name = uniqueName('zt').toLowerCase();
  const admin = new pg.Client({ connectionString: services.databaseUrl });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE "${name}"`);
  } finally {
    await admin.end();
  }
  let dropped = false;
  const drop = async () => {
    if (dropped) return;
    dropped = true;
    const client = new pg.Client({ connectionString: services.databaseUrl });
    await client.connect();
    try {
      await client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
    } finally {
      await client.end();
    }
  };
  return { name, url: withDatabase(services.databaseUrl, name), drop, [Symbol.asyncDispose]: drop };
}

export interface TopicSpec {
  /** Base name; a unique suffix is added. */
  name: string;
  partitions?: number;
}

export interface TestTopics extends AsyncDisposable {
  names: string[];
  delete(): Promise<void>;
}

/**
 * Creates topics (waiting for leaders) for one test; `delete()` removes them. Names get a unique
 * suffix unless `uniqueNames: false` (for names already made unique, e.g. with a topic prefix).
 */
export async function createTestTopics(
  services: TestServices,
  specs: readonly TopicSpec[],
  options: { uniqueNames?: boolean } = {},
): Promise<TestTopics> {
  const kafka = new Kafka({
    clientId: 'zocket-testkit',
    brokers: services.kafkaBrokers,
    logLevel: logLevel.NOTHING,
  });
  const admin = kafka.admin();
  await admin.connect();
  const names = specs.map((s) => (options.uniqueNames === false ? s.name : uniqueName(s.name)));
  try {
    await admin.createTopics({
      // kafkajs's own wait gives up when the broker briefly answers "unknown topic" right after
      // creation (seen under load); the loop below tolerates that.
      waitForLeaders: false,
      topics: specs.map((s, i) => ({
        topic: names[i] as string,
        numPartitions: s.partitions ?? 1,
        replicationFactor: 1,
      })),
    });
    await waitFor(
      async () => {
        const { topics } = await admin.fetchTopicMetadata({ topics: names });
        const partitions = new Map(topics.map((t) => [t.name, t.partitions]));
        const ready = names.every((name, i) => {
          const found = partitions.get(name) ?? [];
          return found.length === (specs[i]?.partitions ?? 1) && found.every((p) => p.leader >= 0);
        });
        return ready ? true : undefined;
      },
      { timeoutMs: 30_000, intervalMs: 100, what: `leaders for ${names.join(', ')}` },
    );
  } finally {
    await admin.disconnect();
  }
  let deleted = false;
  const remove = async () => {
    if (deleted) return;
    deleted = true;
    const a = kafka.admin();
    await a.connect();
    try {
      await a.deleteTopics({ topics: names, timeout: 10_000 });
    } finally {
      await a.disconnect();
    }
  };
  return { names, delete: remove, [Symbol.asyncDispose]: remove };
}

/** A Redis key prefix / S3 key prefix that belongs to one test file. */
export function testKeyPrefix(label = 'test'): string {
  return uniqueName(`zt-${label}`);
}

/** Polls `check` until it returns a value other than undefined, or fails after `timeoutMs`. */
export async function waitFor<T>(
  check: () => Promise<T | undefined> | T | undefined,
  { timeoutMs = 15_000, intervalMs = 100, what = 'condition' } = {},
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined) return value;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`, { cause: lastError });
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}
