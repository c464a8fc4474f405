import { context, SpanKind, trace, traceHeaders, zocketTracer } from '@zocket/telemetry';
import { recordSpans, type SpanRecorder } from '@zocket/telemetry/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inJobSpan } from '../src/jobs/job-span.js';

let recorder: SpanRecorder;
beforeAll(() => {
  recorder = recordSpans();
});
afterAll(() => recorder.stop());

/** The headers a message gets when it is written inside a producer span, as kafkajs delivers them. */
function producedHeaders() {
  return zocketTracer().startActiveSpan('trpc products.create', (span) => {
    const headers = Object.fromEntries(
      Object.entries(traceHeaders()).map(([k, v]) => [k, Buffer.from(v)]),
    );
    span.end();
    return { headers, ids: span.spanContext() };
  });
}

describe('the consumer span of one job', () => {
  it('is a CONSUMER span parented from the message headers, with the work inside it', async () => {
    const { headers, ids } = producedHeaders();
    recorder.reset();
    const outcome = await inJobSpan(
      'image-jobs',
      4,
      { offset: '17', key: Buffer.from('product-1'), headers },
      () =>
        zocketTracer().startActiveSpan('render variants', async (span) => {
          span.end();
          return 'ready';
        }),
    );
    expect(outcome).toBe('ready');
    const process = recorder.spans().find((s) => s.name === 'process image-jobs');
    const work = recorder.spans().find((s) => s.name === 'render variants');
    expect(process?.kind).toBe(SpanKind.CONSUMER);
    expect(process?.spanContext().traceId).toBe(ids.traceId);
    expect(process?.parentSpanContext?.spanId).toBe(ids.spanId);
    expect(process?.attributes).toMatchObject({
      'messaging.system': 'kafka',
      'messaging.destination.name': 'image-jobs',
      'messaging.destination.partition.id': '4',
      'messaging.kafka.offset': 17,
      'messaging.kafka.message.key': 'product-1',
      'zocket.job.outcome': 'ready',
    });
    expect(work?.parentSpanContext?.spanId).toBe(process?.spanContext().spanId);
  });

  it('starts a trace of its own for a message without trace context, ignoring the active span', async () => {
    recorder.reset();
    const batch = zocketTracer().startSpan('poll image-jobs');
    await context.with(trace.setSpan(context.active(), batch), () =>
      inJobSpan('image-jobs', 0, { offset: '1', key: null, headers: {} }, async () => undefined),
    );
    batch.end();
    const process = recorder.spans().find((s) => s.name === 'process image-jobs');
    expect(process?.parentSpanContext).toBeUndefined();
    expect(process?.spanContext().traceId).not.toBe(batch.spanContext().traceId);
  });
});
