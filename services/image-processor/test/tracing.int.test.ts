import { HEADERS, imageJobEvent } from '@zocket/contracts';
import { SpanKind } from '@zocket/telemetry';
import { randomHexId, recordSpans, type SpanRecorder } from '@zocket/telemetry/testing';
import { waitFor } from '@zocket/testkit';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  allSettled,
  createProcessorWorld,
  type ImageServer,
  type ProcessorWorld,
  resultEvents,
  startImageServer,
} from './processor-world.js';

let recorder: SpanRecorder;
let world: ProcessorWorld;
let server: ImageServer;

beforeAll(async () => {
  recorder = recordSpans();
  world = await createProcessorWorld();
  server = await startImageServer();
  await world.startProcessor();
});
afterAll(async () => {
  await world?.close();
  await server?.close();
  await recorder?.stop();
});

/** Produces the job as the API's relay does: the outbox row's traceparent in its headers. */
async function produceTraced(job: Parameters<typeof imageJobEvent>[0], traceparent: string) {
  await world.producer.send({
    topic: world.topics.imageJobs,
    acks: -1,
    messages: [
      {
        key: job.productId,
        value: JSON.stringify(imageJobEvent(job, 'created')),
        headers: { traceparent, [HEADERS.correlationId]: `req-${job.jobId}` },
      },
    ],
  });
}

const spansOf = (traceId: string) =>
  recorder.spans().filter((s) => s.spanContext().traceId === traceId);

describe('the processor joins the trace its job carries', () => {
  it('processes a job in a CONSUMER span of the request trace, with render and upload inside', async () => {
    const jpeg = await sharp({
      create: { width: 320, height: 200, channels: 3, background: '#345678' },
    })
      .jpeg()
      .toBuffer();
    server.serve('/traced.jpg', jpeg, 'image/jpeg');
    const results = await world.collect(world.topics.imageResults);
    const { productId, jobs } = await world.createProduct([
      { kind: 'url', url: server.url('/traced.jpg') },
    ]);
    const traceId = randomHexId(16);
    const writerSpanId = randomHexId(8);
    await produceTraced(jobs[0] as (typeof jobs)[number], `00-${traceId}-${writerSpanId}-01`);
    await world.waitForImages(productId, allSettled);

    const process = await waitFor(
      () => spansOf(traceId).find((s) => s.name === `process ${world.topics.imageJobs}`),
      { timeoutMs: 10_000, what: 'the process span' },
    );
    expect(process.kind).toBe(SpanKind.CONSUMER);
    expect(process.parentSpanContext?.spanId).toBe(writerSpanId);
    expect(process.attributes['zocket.job.outcome']).toBe('ready');
    const children = spansOf(traceId)
      .filter((s) => s.parentSpanContext?.spanId === process.spanContext().spanId)
      .map((s) => s.name);
    expect(children).toEqual(expect.arrayContaining(['render variants', 'upload variants']));

    // The result event continues the trace for whoever consumes it.
    const result = await waitFor(() => results.messages.find((m) => m.key === productId), {
      timeoutMs: 10_000,
      what: 'the image-results event',
    });
    expect(resultEvents([result])[0]?.status).toBe('ready');
    expect(result.headers.traceparent).toMatch(
      new RegExp(`^00-${traceId}-${process.spanContext().spanId}-01$`),
    );
  });

  it('chains the attempts of a retried job in the same trace', async () => {
    const jpeg = await sharp({ create: { width: 64, height: 64, channels: 3, background: '#abc' } })
      .jpeg()
      .toBuffer();
    let calls = 0;
    server.route('/flaky.jpg', (_req, res) => {
      calls += 1;
      if (calls === 1) return void res.writeHead(503).end();
      res.writeHead(200, { 'content-type': 'image/jpeg' }).end(jpeg);
    });
    const { productId, jobs } = await world.createProduct([
      { kind: 'url', url: server.url('/flaky.jpg') },
    ]);
    const traceId = randomHexId(16);
    const writerSpanId = randomHexId(8);
    await produceTraced(jobs[0] as (typeof jobs)[number], `00-${traceId}-${writerSpanId}-01`);
    const product = await world.waitForImages(productId, allSettled);
    expect(product.images[0]?.status).toBe('ready');

    const attempts = await waitFor(
      () => {
        const found = spansOf(traceId).filter((s) => s.name.startsWith('process '));
        return found.length === 2 ? found : undefined;
      },
      { timeoutMs: 10_000, what: 'two process spans in the trace' },
    );
    const first = attempts.find((s) => s.name === `process ${world.topics.imageJobs}`);
    const second = attempts.find((s) => s.name === `process ${world.topics.imageJobsRetry}`);
    expect(first?.attributes['zocket.job.outcome']).toBe('retried');
    expect(first?.parentSpanContext?.spanId).toBe(writerSpanId);
    expect(second?.parentSpanContext?.spanId).toBe(first?.spanContext().spanId);
    expect(second?.attributes['zocket.job.outcome']).toBe('ready');
  });
});
