import { topicNames } from '@zocket/contracts';
import { SpanKind, trace, zocketTracer } from '@zocket/telemetry';
import { recordSpans, type SpanRecorder } from '@zocket/telemetry/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bulkItemMessage } from '../src/bulk/bulk-dispatcher.js';
import { batchLinks } from '../src/outbox/outbox-relay.js';
import { imageJobMessages } from '../src/products/outbox-messages.js';

const topics = topicNames();
let recorder: SpanRecorder;
beforeAll(() => {
  recorder = recordSpans();
});
afterAll(() => recorder.stop());

const job = (n: number) => ({
  productId: `00000000-0000-4000-8000-00000000000${n}`,
  imageId: `00000000-0000-4000-8000-00000000001${n}`,
  jobId: `00000000-0000-4000-8000-00000000002${n}`,
  source: { kind: 'url' as const, url: `https://example.com/${n}.jpg` },
});

/** Outbox messages written inside a request span of their own, with that span's ids. */
function writtenInRequest(n: number) {
  return zocketTracer().startActiveSpan(`POST /products #${n}`, (span) => {
    const [message] = imageJobMessages([job(n)], 'created', topics, `req-${n}`);
    span.end();
    return { message, ids: span.spanContext() };
  });
}

describe('trace context in outbox messages', () => {
  it('writes the active request span as traceparent next to the correlation headers', () => {
    const { message, ids } = writtenInRequest(1);
    expect(message?.headers).toEqual({
      traceparent: `00-${ids.traceId}-${ids.spanId}-01`,
      'x-correlation-id': 'req-1',
      'x-event-type': 'image.job.v1',
    });
  });

  it('writes no traceparent outside a trace', () => {
    const [message] = imageJobMessages([job(1)], 'created', topics, 'req');
    expect(message?.headers).not.toHaveProperty('traceparent');
  });

  it('gives a bulk item the dispatching span as traceparent', () => {
    const { item, ids } = zocketTracer().startActiveSpan('bulk dispatch', (span) => {
      const m = bulkItemMessage(topics, 'bulk-1', job(2));
      span.end();
      return { item: m, ids: span.spanContext() };
    });
    expect(item.headers?.traceparent).toBe(`00-${ids.traceId}-${ids.spanId}-01`);
  });
});

describe('the relay batch span', () => {
  it('links to the trace every row was written in, and skips rows without one', () => {
    const written = [1, 2, 3].map(writtenInRequest);
    const rows = [
      ...written.map((w) => ({ headers: w.message?.headers ?? {} })),
      { headers: { 'x-correlation-id': 'written-by-an-older-version' } },
    ];
    recorder.reset();
    zocketTracer()
      .startSpan('publish outbox', { kind: SpanKind.PRODUCER, links: batchLinks(rows) })
      .end();
    const [batch] = recorder.spans();
    expect(batch?.links.map((l) => l.context.traceId)).toEqual(written.map((w) => w.ids.traceId));
    expect(batch?.links.map((l) => l.context.spanId)).toEqual(written.map((w) => w.ids.spanId));
    // The batch is a trace of its own: it serves many requests.
    expect(batch?.parentSpanContext).toBeUndefined();
    expect(written.map((w) => w.ids.traceId)).not.toContain(batch?.spanContext().traceId);
    expect(trace.getActiveSpan()).toBeUndefined();
  });
});
