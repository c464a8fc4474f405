import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  flushTracing,
  inSpan,
  SpanStatusCode,
  traceLogFields,
  tracingActive,
  zocketTracer,
} from '../src/index.js';
import { recordSpans, type SpanRecorder } from '../src/testing.js';

describe('with no provider registered', () => {
  it('says tracing is off, adds nothing to log lines and flushes nothing', async () => {
    expect(tracingActive()).toBe(false);
    await zocketTracer().startActiveSpan('ignored', async (span) => {
      expect(traceLogFields()).toEqual({});
      span.end();
    });
    await expect(flushTracing()).resolves.toBeUndefined();
  });
});

describe('with a provider registered', () => {
  let recorder: SpanRecorder;
  beforeAll(() => {
    recorder = recordSpans();
  });
  afterAll(() => recorder.stop());

  it('says tracing is on', () => {
    expect(tracingActive()).toBe(true);
  });

  it('ends a span when its work settles, and records a thrown error on it', async () => {
    recorder.reset();
    await expect(inSpan('works', {}, async () => 42)).resolves.toBe(42);
    await expect(
      inSpan('fails', {}, async () => {
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    const [works, fails] = recorder.spans();
    expect(works?.name).toBe('works');
    expect(works?.status.code).toBe(SpanStatusCode.UNSET);
    expect(fails?.status).toMatchObject({ code: SpanStatusCode.ERROR });
    expect(fails?.events.map((e) => e.name)).toEqual(['exception']);
  });

  it('puts trace_id and span_id on log lines written inside a span, and only there', async () => {
    const lines: Record<string, unknown>[] = [];
    const sink = new Writable({
      write(chunk, _encoding, done) {
        lines.push(JSON.parse(String(chunk)));
        done();
      },
    });
    const logger = pino({ mixin: traceLogFields }, sink);
    logger.info('outside');
    const ids = await inSpan('logging', {}, async (span) => {
      logger.info('inside');
      return span.spanContext();
    });
    await new Promise((resolve) => setImmediate(resolve));
    expect(lines[0]).not.toHaveProperty('trace_id');
    expect(lines[1]).toMatchObject({ trace_id: ids.traceId, span_id: ids.spanId });
  });

  it('flushes without waiting for the batch delay', async () => {
    await expect(flushTracing()).resolves.toBeUndefined();
  });
});
