import { afterAll, describe, expect, it } from 'vitest';
import { contextFromHeaders, trace, traceHeaders, zocketTracer } from '../src/index.js';
import { recordSpans } from '../src/testing.js';

const recorder = recordSpans();
afterAll(() => recorder.stop());

/** Runs `fn` inside a fresh active span and returns what it returned with the span's context. */
function inActiveSpan<T>(fn: () => T) {
  return zocketTracer().startActiveSpan('producer', (span) => {
    const result = fn();
    span.end();
    return { result, spanContext: span.spanContext() };
  });
}

describe('traceHeaders', () => {
  it('is empty outside a trace', () => {
    expect(traceHeaders()).toEqual({});
  });

  it('carries the active span as a W3C traceparent', () => {
    const { result, spanContext } = inActiveSpan(() => traceHeaders());
    expect(result.traceparent).toBe(`00-${spanContext.traceId}-${spanContext.spanId}-01`);
  });
});

describe('contextFromHeaders', () => {
  const { result: headers, spanContext } = inActiveSpan(() => traceHeaders());
  const expected = { traceId: spanContext.traceId, spanId: spanContext.spanId, isRemote: true };

  it('reads a traceparent given as a string (as written into the outbox row)', () => {
    const extracted = trace.getSpanContext(contextFromHeaders(headers));
    expect(extracted).toMatchObject(expected);
  });

  it('reads a traceparent given as a Buffer (as kafkajs delivers headers)', () => {
    const buffers = Object.fromEntries(
      Object.entries(headers).map(([k, v]) => [k, Buffer.from(v)]),
    );
    expect(trace.getSpanContext(contextFromHeaders(buffers))).toMatchObject(expected);
  });

  it('reads the first of repeated values', () => {
    const repeated = { traceparent: [Buffer.from(headers.traceparent ?? ''), 'garbage'] };
    expect(trace.getSpanContext(contextFromHeaders(repeated))).toMatchObject(expected);
  });

  it('gives a context without a span when there is no or an invalid traceparent', () => {
    expect(trace.getSpanContext(contextFromHeaders(undefined))).toBeUndefined();
    expect(trace.getSpanContext(contextFromHeaders({ 'x-other': 'a' }))).toBeUndefined();
    expect(
      trace.getSpanContext(contextFromHeaders({ traceparent: Buffer.from('00-zz-zz-01') })),
    ).toBeUndefined();
  });

  it('parents a span to the producer across the round trip', () => {
    recorder.reset();
    zocketTracer().startSpan('consumer', {}, contextFromHeaders(headers)).end();
    const [consumer] = recorder.spans();
    expect(consumer?.spanContext().traceId).toBe(spanContext.traceId);
    expect(consumer?.parentSpanContext?.spanId).toBe(spanContext.spanId);
  });
});
