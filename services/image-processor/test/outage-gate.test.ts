import { DatabaseUnavailableError } from '@zocket/db';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { FetchError } from '../src/fetch/safe-fetch.js';
import { createProcessorMetrics } from '../src/observability/metrics.js';
import {
  DependencyOutageError,
  dependencyOutage,
  isS3Outage,
  redisOutage,
} from '../src/outage/dependency-outage.js';
import { OutageGate, type Probe } from '../src/outage/outage-gate.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function logSink() {
  const lines: { level: number; msg: string; dependency?: string }[] = [];
  const logger = pino(
    { level: 'debug' },
    { write: (line: string) => void lines.push(JSON.parse(line)) },
  );
  return { logger, lines };
}

describe('telling our outage from the job failing', () => {
  it('counts refused connections, timeouts and 5xx from S3 as an outage, and 4xx not', () => {
    expect(isS3Outage(Object.assign(new Error('connect'), { code: 'ECONNREFUSED' }))).toBe(true);
    expect(isS3Outage({ name: 'TimeoutError' })).toBe(true);
    expect(isS3Outage({ name: 'InternalError', $metadata: { httpStatusCode: 503 } })).toBe(true);
    expect(isS3Outage({ name: 'AccessDenied', $metadata: { httpStatusCode: 403 } })).toBe(false);
    expect(isS3Outage({ name: 'NoSuchKey', $metadata: { httpStatusCode: 404 } })).toBe(false);
    expect(isS3Outage(new TypeError('fetch failed', { cause: { code: 'ECONNRESET' } }))).toBe(true);
  });

  it('counts PostgreSQL unreachable as an outage, and a source error as the job', () => {
    expect(dependencyOutage(new DatabaseUnavailableError(new Error('x')))?.dependency).toBe(
      'postgres',
    );
    expect(
      dependencyOutage(
        new FetchError('SOURCE_UNAVAILABLE', 'source answered 503', { status: 503 }),
      ),
    ).toBe(undefined);
    expect(dependencyOutage(new Error('anything else'))).toBeUndefined();
  });

  it('counts a lost Redis as an outage, and a refused command as not', () => {
    expect(redisOutage(new Error('Connection is closed.'))?.dependency).toBe('redis');
    expect(
      redisOutage(Object.assign(new Error('ERR unknown command'), { name: 'ReplyError' })),
    ).toBeUndefined();
    expect(
      redisOutage(Object.assign(new Error('LOADING Redis is loading'), { name: 'ReplyError' })),
    ).toBeDefined();
  });
});

describe('the outage gate', () => {
  const policy = { probeBaseDelayMs: 10, probeMaxDelayMs: 40, alertAfterMs: 120 };

  it('pauses once, probes with a capped backoff, raises the alarm once, and resumes when the dependency answers', async () => {
    const { logger, lines } = logSink();
    const metrics = createProcessorMetrics();
    let up = false;
    const probeTimes: number[] = [];
    const s3: Probe = async () => {
      probeTimes.push(Date.now());
      return up ? 'ok' : 'connect ECONNREFUSED';
    };
    const credited: Date[] = [];
    const gate = new OutageGate({
      probes: { s3, postgres: async () => 'ok', redis: async () => 'ok' },
      policy,
      logger,
      metrics,
      whilePaused: async (since) => void credited.push(since),
    });
    const changes: boolean[] = [];
    gate.onChange((paused) => changes.push(paused));

    gate.report(new DependencyOutageError('s3', new Error('connect ECONNREFUSED')));
    gate.report(new DependencyOutageError('s3', new Error('again, from another job')));
    expect(gate.paused).toBe(true);
    expect(changes).toEqual([true]);
    expect(gate.outages).toEqual([expect.objectContaining({ dependency: 's3', overLimit: false })]);

    await sleep(250);
    expect(gate.outages[0]?.overLimit).toBe(true);
    up = true;
    await sleep(100);
    expect(gate.paused).toBe(false);
    expect(changes).toEqual([true, false]);

    const gaps = probeTimes.slice(1).map((t, i) => t - (probeTimes[i] as number));
    // Never spins: no two probes closer than the first delay, a handful over a few hundred ms.
    expect(Math.min(...gaps)).toBeGreaterThanOrEqual(9);
    expect(probeTimes.length).toBeLessThan(15);

    const messages = lines.map((l) => l.msg);
    expect(messages.filter((m) => m.startsWith('dependency unavailable'))).toHaveLength(1);
    expect(messages.filter((m) => m.includes('outlasts'))).toHaveLength(1);
    expect(messages.filter((m) => m.startsWith('dependency answers again'))).toHaveLength(1);
    expect(credited.length).toBeGreaterThan(1);
    const text = await metrics.registry.metrics();
    expect(text).toMatch(/^zocket_processor_dependency_outages_total\{dependency="s3"\} 1$/m);
    expect(text).toMatch(/^zocket_processor_dependency_paused\{dependency="s3"\} 0$/m);
    gate.stop();
  });

  it('stays paused until every dependency that is down answers', async () => {
    const { logger } = logSink();
    const state = { s3: false, postgres: false };
    const gate = new OutageGate({
      probes: {
        s3: async () => (state.s3 ? 'ok' : 'down'),
        postgres: async () => (state.postgres ? 'ok' : 'down'),
        redis: async () => 'ok',
      },
      policy,
      logger,
      metrics: createProcessorMetrics(),
    });
    const changes: boolean[] = [];
    gate.onChange((paused) => changes.push(paused));
    gate.report(new DependencyOutageError('s3', new Error('x')));
    gate.report(new DependencyOutageError('postgres', new Error('y')));
    state.s3 = true;
    await sleep(80);
    expect(gate.paused).toBe(true);
    expect(gate.outages.map((o) => o.dependency)).toEqual(['postgres']);
    state.postgres = true;
    await sleep(80);
    expect(gate.paused).toBe(false);
    expect(changes).toEqual([true, false]);
    gate.stop();
  });
});
