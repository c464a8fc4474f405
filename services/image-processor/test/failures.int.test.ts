import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { HEADERS } from '@zocket/contracts';
import { imageFixturesDir, pngClaiming, waitFor } from '@zocket/testkit';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Processor } from '../src/service.js';
import {
  allSettled,
  createProcessorWorld,
  type ImageServer,
  type ProcessorWorld,
  startImageServer,
} from './processor-world.js';

const fixtures = imageFixturesDir();
const edgeDir = join(fixtures, 'edge');

describe('image processor: bad inputs fail with a reason and never block the consumer', () => {
  let world: ProcessorWorld;
  let server: ImageServer;
  let good: Buffer;
  let processor: Processor;

  beforeAll(async () => {
    world = await createProcessorWorld({ jobPartitions: 1 });
    server = await startImageServer();
    good = await sharp({ create: { width: 64, height: 48, channels: 3, background: '#123456' } })
      .jpeg()
      .toBuffer();
    server.serve('/good.jpg', good, 'image/jpeg');
    processor = await world.startProcessor({
      FETCH_MAX_BYTES: String(256 * 1024),
      FETCH_TIMEOUT_MS: '2000',
      JOB_MAX_ATTEMPTS: '2',
    });
  });
  afterAll(async () => {
    await world?.close();
    await server?.close();
  });

  it('marks each bad source failed with a readable reason, then still processes a good image', async () => {
    server.serve('/truncated.jpg', good.subarray(0, Math.floor(good.length / 2)), 'image/jpeg');
    server.serve(
      '/corrupt.jpg',
      Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0x00, 0x13, 0x37]), Buffer.alloc(200, 7)]),
      'image/jpeg',
    );
    server.serve('/huge.png', pngClaiming(65536, 65536), 'image/png');
    server.serve(
      '/vector.svg',
      Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"/>'),
      'image/svg+xml',
    );
    server.serve(
      '/page.jpg',
      Buffer.from('<!doctype html><html><body>not an image</body></html>'),
      'image/jpeg',
    );
    server.serve('/big.jpg', Buffer.alloc(512 * 1024, 1), 'image/jpeg');
    server.route('/slow.jpg', (_req, res) => {
      res.writeHead(200, { 'content-type': 'image/jpeg' });
      const timer = setInterval(() => res.write(Buffer.from([0xff])), 1000);
      res.on('close', () => clearInterval(timer));
    });
    const paths = [
      '/truncated.jpg',
      '/corrupt.jpg',
      '/huge.png',
      '/vector.svg',
      '/page.jpg',
      '/missing.jpg',
      '/big.jpg',
      '/slow.jpg',
      '/good.jpg',
    ];
    const { productId, jobs } = await world.createProduct(
      paths.map((p) => ({ kind: 'url' as const, url: server.url(p) })),
    );
    const dlq = await world.collect(world.topics.imageJobsDlq);
    const started = Date.now();
    await world.produceJobs(jobs);
    const product = await world.waitForImages(productId, allSettled, 60_000);

    const byPath = Object.fromEntries(product.images.map((i) => [paths[i.position], i]));
    expect(byPath['/good.jpg']?.status).toBe('ready');
    const failed = product.images.filter((i) => i.status === 'failed');
    expect(failed).toHaveLength(8);
    for (const image of failed) expect(image.failureReason).toMatch(/\w{6,}/);
    expect(byPath['/truncated.jpg']?.failureReason).toBeTruthy();
    expect(byPath['/missing.jpg']?.failureReason).toMatch(/404/);
    expect(byPath['/vector.svg']?.failureReason).toMatch(/svg|unsupported|not .*image/i);
    expect(byPath['/page.jpg']?.failureReason).toMatch(/unsupported|not .*image|html/i);
    expect(byPath['/big.jpg']?.failureReason).toMatch(/bytes|large|limit/i);
    expect(byPath['/huge.png']?.failureReason).toMatch(/pixel|large|limit|dimension/i);
    // The slow server is a timeout (transient): retried once (JOB_MAX_ATTEMPTS=2), then given up.
    expect(byPath['/slow.jpg']?.failureReason).toMatch(/gave up after 2 attempts/);
    expect(Date.now() - started).toBeLessThan(45_000);

    await waitFor(() => (dlq.messages.length >= 8 ? true : undefined), {
      what: 'eight dead-lettered jobs',
    });
    const codes = dlq.messages.map((m) => m.headers[HEADERS.errorCode]).sort();
    expect(codes).toEqual(
      expect.arrayContaining([
        'SOURCE_NOT_FOUND',
        'SOURCE_TOO_LARGE',
        'UNSUPPORTED_FORMAT',
        'RETRIES_EXHAUSTED',
      ]),
    );
    for (const message of dlq.messages) {
      expect(message.headers[HEADERS.originalTopic]).toBe(world.topics.imageJobs);
      expect(Number(message.headers[HEADERS.attempts])).toBeGreaterThanOrEqual(1);
      expect(message.headers[HEADERS.error]).toBeTruthy();
    }
    await dlq.stop();
  });

  it('spends every attempt on a source that answers 503 to every request, then dead-letters it (not an outage of ours)', async () => {
    let calls = 0;
    server.route('/always-503.jpg', (_req, res) => {
      calls += 1;
      res.writeHead(503).end();
    });
    const { productId, jobs } = await world.createProduct([
      { kind: 'url', url: server.url('/always-503.jpg') },
    ]);
    const dlq = await world.collect(world.topics.imageJobsDlq);
    await world.produceJobs(jobs);
    const product = await world.waitForImages(productId, allSettled, 60_000);
    const image = product.images[0];
    expect(image?.status).toBe('failed');
    expect(image?.failureReason).toMatch(/gave up after 2 attempts/);
    expect(image?.attempts).toBe(2);
    expect(calls).toBe(2);
    const dead = await waitFor(
      () => dlq.messages.find((m) => m.value?.includes(image?.id ?? '-')),
      { what: 'the 503 source in the DLQ' },
    );
    expect(dead.headers[HEADERS.errorCode]).toBe('RETRIES_EXHAUSTED');
    expect(dead.headers[HEADERS.attempts]).toBe('2');
    // A source's 5xx is the job's failure: consuming never paused for it.
    expect(processor.ctx.outage.paused).toBe(false);
    const metrics = await processor.ctx.metrics.registry.metrics();
    expect(metrics).not.toMatch(/^zocket_processor_dependency_outages_total\{[^}]*\} [1-9]/m);
    await dlq.stop();
  });

  it('sends an invalid event to the DLQ with the reason and keeps consuming the partition', async () => {
    const dlq = await world.collect(world.topics.imageJobsDlq);
    const { productId, jobs } = await world.createProduct([
      { kind: 'url', url: server.url('/good.jpg') },
    ]);
    await world.producer.send({
      topic: world.topics.imageJobs,
      messages: [
        { key: 'k', value: 'not json at all' },
        { key: 'k', value: JSON.stringify({ type: 'image.job', version: 99 }) },
        { key: 'k', value: JSON.stringify({ type: 'image.job', version: 1, jobId: 'x' }) },
      ],
    });
    await world.produceJobs(jobs);
    const product = await world.waitForImages(productId, allSettled);
    expect(product.images[0]?.status).toBe('ready');
    await waitFor(
      () =>
        dlq.messages.filter((m) => m.headers[HEADERS.errorCode] === 'INVALID_EVENT').length >= 3
          ? true
          : undefined,
      { what: 'three invalid events in the DLQ' },
    );
    const reasons = dlq.messages
      .filter((m) => m.headers[HEADERS.errorCode] === 'INVALID_EVENT')
      .map((m) => m.headers[HEADERS.error]);
    expect(reasons).toContain('message is not valid JSON');
    expect(reasons).toContain('unsupported image.job version 99 (supported: 1)');
    expect(reasons.some((r) => r?.includes('jobId'))).toBe(true);
    expect(dlq.messages.some((m) => m.value === 'not json at all')).toBe(true);
    await dlq.stop();
  });

  it('refuses a loopback source when the allowlist is empty: the canary receives no request', async () => {
    const canary = await startImageServer();
    canary.serve('/secret.jpg', good, 'image/jpeg');
    try {
      const strict = await createProcessorWorld({ jobPartitions: 1 });
      try {
        await strict.startProcessor({ FETCH_ALLOWLIST: '' });
        const port = new URL(canary.url('/')).port;
        const urls = [
          canary.url('/secret.jpg'),
          `http://localhost:${port}/secret.jpg`,
          `http://2130706433:${port}/secret.jpg`,
          `http://[::ffff:127.0.0.1]:${port}/secret.jpg`,
        ];
        const { jobs } = await strict.createProduct(
          urls.map((url) => ({ kind: 'url' as const, url })),
        );
        await strict.produceJobs(jobs);
        const settled = await strict.waitForImages(jobs[0]?.productId ?? '', allSettled);
        expect(settled.images.map((i) => i.status)).toEqual([
          'failed',
          'failed',
          'failed',
          'failed',
        ]);
        for (const image of settled.images)
          expect(image.failureReason).toMatch(/refus|not allowed|private|loopback/i);
        expect(canary.requests()).toBe(0);
      } finally {
        await strict.close();
      }
    } finally {
      await canary.close();
    }
  });

  describe.skipIf(!existsSync(edgeDir))('shared edge fixtures', () => {
    it('refuses every file in the edge folder with a reason, or processes it within the limits', async () => {
      const files = readdirSync(edgeDir).filter((f) => !f.startsWith('.'));
      for (const file of files)
        server.serve(
          `/edge/${file}`,
          readFileSync(join(edgeDir, file)),
          'application/octet-stream',
        );
      const { productId, jobs } = await world.createProduct(
        files.slice(0, 20).map((f) => ({ kind: 'url' as const, url: server.url(`/edge/${f}`) })),
      );
      await world.produceJobs(jobs);
      const product = await world.waitForImages(productId, allSettled, 90_000);
      for (const image of product.images) {
        if (image.status === 'failed') expect(image.failureReason).toBeTruthy();
        else expect(image.variants.length).toBeGreaterThan(0);
      }
      expect(product.images.some((i) => i.status === 'failed')).toBe(true);
    });
  });
});
