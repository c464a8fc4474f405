import { randomUUID } from 'node:crypto';
import { CACHE_CLIENT_OPTIONS } from '@zocket/service-kit';
import { testServices } from '@zocket/testkit';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EntryBatch } from '../src/cache/entry-batch.js';
import { waitFor } from './api-world.js';

let client: Redis;
let direct: Redis;
const prefix = `entry-batch-test:${randomUUID()}`;

beforeAll(async () => {
  client = new Redis(testServices().redisUrl, { ...CACHE_CLIENT_OPTIONS });
  direct = new Redis(testServices().redisUrl);
  await client.connect();
  await direct.set(`${prefix}:a`, 'entry a', 'EX', 60);
  await direct.set(`${prefix}:b`, Buffer.from([0xff, 0x00, 0x7b]), 'EX', 60);
});

afterAll(async () => {
  client?.disconnect();
  direct?.disconnect();
});

describe('EntryBatch', () => {
  it('reads the keys asked for in one turn with one MGET, each answer to its caller', async () => {
    // What this test's client sends, seen by Redis (MONITOR, filtered to the client's address).
    const monitor = await direct.monitor();
    const sent: string[][] = [];
    const port = client.stream.localPort;
    monitor.on('monitor', (_time: string, args: string[], source: string) => {
      if (source.endsWith(`:${port}`)) sent.push(args);
    });
    try {
      const batch = new EntryBatch(client);
      const answers = await Promise.all([
        batch.get(`${prefix}:a`),
        batch.get(`${prefix}:missing`),
        batch.get(`${prefix}:b`),
        batch.get(`${prefix}:a`),
      ]);
      expect(answers[0]?.toString()).toBe('entry a');
      expect(answers[1]).toBeNull();
      expect(answers[2]).toEqual(Buffer.from([0xff, 0x00, 0x7b])); // bytes as stored
      expect(answers[3]?.toString()).toBe('entry a');
      // A read in a later turn is a batch of its own.
      expect((await batch.get(`${prefix}:b`))?.length).toBe(3);
      await waitFor(() => (sent.length >= 2 ? true : undefined), { what: 'MONITOR lines' });
      expect(sent).toEqual([
        ['mget', `${prefix}:a`, `${prefix}:missing`, `${prefix}:b`, `${prefix}:a`],
        ['mget', `${prefix}:b`],
      ]);
    } finally {
      monitor.disconnect();
    }
  });

  it('fails every read of a batch whose MGET fails', async () => {
    const closed = new Redis(testServices().redisUrl, { ...CACHE_CLIENT_OPTIONS });
    await closed.connect();
    closed.disconnect(); // offline queue off: commands are refused at once
    const batch = new EntryBatch(closed);
    const answers = await Promise.allSettled([batch.get(`${prefix}:a`), batch.get(`${prefix}:b`)]);
    expect(answers.map((a) => a.status)).toEqual(['rejected', 'rejected']);
  });
});
