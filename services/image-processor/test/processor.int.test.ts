import { CACHE_SCRIPTS, cacheKeys, invalidateCachedProduct } from '@zocket/contracts';
import { waitFor } from '@zocket/testkit';
import { Redis } from 'ioredis';
import type { Sharp } from 'sharp';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_PROFILE } from '../src/pipeline/image-pipeline.js';
import {
  allSettled,
  createProcessorWorld,
  type ImageServer,
  type ProcessorWorld,
  resultEvents,
  startImageServer,
} from './processor-world.js';

/** A 300x200 image with a red top-left corner, so orientation can be checked after processing. */
async function cornerImage(): Promise<Buffer> {
  const corner = await sharp({
    create: { width: 60, height: 40, channels: 3, background: { r: 255, g: 0, b: 0 } },
  })
    .png()
    .toBuffer();
  return sharp({
    create: { width: 300, height: 200, channels: 3, background: { r: 0, g: 0, b: 255 } },
  })
    .composite([{ input: corner, left: 0, top: 0 }])
    .png()
    .toBuffer();
}

/** Stores the pixels so that a viewer applying EXIF `orientation` shows `upright`. */
async function storedFor(upright: Buffer, orientation: number): Promise<Buffer> {
  // sharp mirrors before it rotates, whatever the call order.
  const steps: Record<number, (s: Sharp) => Sharp> = {
    1: (s) => s,
    2: (s) => s.flop(),
    3: (s) => s.rotate(180),
    4: (s) => s.flip(),
    5: (s) => s.rotate(270).flop(),
    6: (s) => s.rotate(270),
    7: (s) => s.rotate(270).flip(),
    8: (s) => s.rotate(90),
  };
  const transform = steps[orientation] ?? ((s: Sharp) => s);
  const pixels = await transform(sharp(upright)).png().toBuffer();
  return sharp(pixels).jpeg({ quality: 95 }).withMetadata({ orientation }).toBuffer();
}

describe('image processor: valid images through Kafka, S3, PostgreSQL and Redis', () => {
  let world: ProcessorWorld;
  let server: ImageServer;
  let redis: Redis;

  beforeAll(async () => {
    world = await createProcessorWorld();
    server = await startImageServer();
    redis = new Redis(world.services.redisUrl);
    await world.startProcessor();
  });
  afterAll(async () => {
    await world?.close();
    await server?.close();
    redis?.disconnect();
  });

  it('turns a JPEG in each of the 8 EXIF orientations into upright variants without metadata', async () => {
    const upright = await cornerImage();
    for (let orientation = 1; orientation <= 8; orientation += 1) {
      const jpeg = await storedFor(upright, orientation);
      expect((await sharp(jpeg).metadata()).orientation).toBe(orientation);
      server.serve(`/orientation-${orientation}.jpg`, jpeg, 'image/jpeg');
    }
    const { productId, jobs } = await world.createProduct(
      Array.from({ length: 8 }, (_, i) => ({
        kind: 'url' as const,
        url: server.url(`/orientation-${i + 1}.jpg`),
      })),
    );
    const results = await world.collect(world.topics.imageResults);
    // A reader filled the cache before processing: the processor must remove that entry.
    const keys = cacheKeys(world.cachePrefix);
    await redis.set(keys.product(productId), '{"stale":true}');

    await world.produceJobs(jobs);
    const product = await world.waitForImages(productId, allSettled);

    expect(product.images.map((i) => i.status)).toEqual(Array(8).fill('ready'));
    for (const image of product.images) {
      const orientation = image.position + 1;
      // Every orientation shows the same upright 300x200 picture.
      const [w, h] = [300, 200];
      expect(orientation).toBeGreaterThan(0);
      expect(image.width).toBe(w);
      expect(image.height).toBe(h);
      expect(image.placeholder).toMatch(/^[A-Za-z0-9+/=]+$/);
      expect(image.contentHash).toMatch(/^[0-9a-f]{64}$/);
      expect(image.variants.map((v) => `${v.format}:${v.width}`).sort()).toEqual(
        [`avif:${w}`, `webp:${w}`].sort(),
      );
      for (const variant of image.variants) {
        const object = await world.getObject(variant.key);
        expect(object.contentType).toBe(`image/${variant.format}`);
        expect(object.cacheControl).toBe('public, max-age=31536000, immutable');
        expect(object.body.length).toBe(variant.bytes);
        // Without QUALITY_TARGET: the fixed quality is recorded, and no score.
        expect(variant.quality).toBe(DEFAULT_PROFILE[variant.format].quality);
        expect(variant.score).toBeUndefined();
        const meta = await sharp(object.body).metadata();
        expect(meta.format).toBe(variant.format === 'avif' ? 'heif' : 'webp');
        expect([meta.width, meta.height]).toEqual([variant.width, variant.height]);
        expect(meta.exif).toBeUndefined();
        expect(meta.orientation).toBeUndefined();
      }
      // The red corner stays top-left once upright: sample the webp variant.
      const webp = image.variants.find((v) => v.format === 'webp');
      const { data, info } = await sharp((await world.getObject(webp?.key ?? '')).body)
        .raw()
        .toBuffer({ resolveWithObject: true });
      const topLeft = [data[0], data[1], data[2]] as number[];
      const bottomRight = Array.from(
        data.subarray(data.length - info.channels, data.length - info.channels + 3),
      );
      expect(topLeft[0]).toBeGreaterThan(200);
      expect(topLeft[2]).toBeLessThan(60);
      expect(bottomRight[2]).toBeGreaterThan(200);
    }
    expect(await redis.exists(keys.product(productId))).toBe(0);

    await waitFor(() => (resultEvents(results.messages).length >= 8 ? true : undefined), {
      timeoutMs: 60_000,
      what: 'eight image-results events',
    });
    const events = resultEvents(results.messages);
    expect(new Set(events.map((e) => e.imageId))).toEqual(new Set(jobs.map((j) => j.imageId)));
    expect(events.every((e) => e.status === 'ready' && e.productId === productId)).toBe(true);
    expect(results.messages.every((m) => m.key === productId)).toBe(true);
    expect(results.messages[0]?.headers['x-correlation-id']).toMatch(/^test-/);
    await results.stop();
  });

  it('handles PNG with alpha, CMYK JPEG, animated GIF and 16-bit PNG', async () => {
    const alpha = await sharp({
      create: {
        width: 400,
        height: 300,
        channels: 4,
        background: { r: 10, g: 200, b: 10, alpha: 0.5 },
      },
    })
      .png()
      .toBuffer();
    const cmyk = await sharp({
      create: { width: 400, height: 300, channels: 3, background: '#c83232' },
    })
      .toColourspace('cmyk')
      .jpeg()
      .toBuffer();
    const frames = await Promise.all(
      ['#ff0000', '#00ff00', '#0000ff'].map((background) =>
        sharp({ create: { width: 120, height: 80, channels: 3, background } })
          .png()
          .toBuffer(),
      ),
    );
    const gif = await sharp(frames, { join: { animated: true } })
      .gif()
      .toBuffer();
    const png16 = await sharp({
      create: { width: 400, height: 300, channels: 3, background: '#336699' },
    })
      .toColourspace('rgb16')
      .png()
      .toBuffer();
    expect((await sharp(cmyk).metadata()).space).toBe('cmyk');
    expect((await sharp(gif).metadata()).pages).toBe(3);
    expect((await sharp(png16).metadata()).depth).toBe('ushort');

    server.serve('/alpha.png', alpha, 'image/png');
    server.serve('/cmyk.jpg', cmyk, 'image/jpeg');
    server.serve('/animated.gif', gif, 'image/gif');
    server.serve('/16bit.png', png16, 'image/png');
    const { productId, jobs } = await world.createProduct(
      ['/alpha.png', '/cmyk.jpg', '/animated.gif', '/16bit.png'].map((p) => ({
        kind: 'url' as const,
        url: server.url(p),
      })),
    );
    await world.produceJobs(jobs);
    const product = await world.waitForImages(productId, allSettled);
    expect(product.images.map((i) => i.status)).toEqual(['ready', 'ready', 'ready', 'ready']);

    const [alphaImage, cmykImage, gifImage, png16Image] = product.images;
    for (const variant of alphaImage?.variants ?? []) {
      const meta = await sharp((await world.getObject(variant.key)).body).metadata();
      expect(meta.hasAlpha).toBe(true);
    }
    for (const variant of cmykImage?.variants ?? []) {
      const meta = await sharp((await world.getObject(variant.key)).body).metadata();
      expect(meta.space).toBe('srgb');
      const { dominant } = await sharp((await world.getObject(variant.key)).body).stats();
      expect(dominant.r).toBeGreaterThan(150);
    }
    expect(gifImage?.variants.map((v) => v.width)).toEqual([120, 120]);
    for (const variant of gifImage?.variants ?? []) {
      const meta = await sharp((await world.getObject(variant.key)).body).metadata();
      expect(meta.pages ?? 1).toBe(1);
      expect(meta.height).toBe(80);
    }
    expect(png16Image?.variants.length).toBe(4); // 320 and 400, webp and avif
    expect(product.compressedProductImages).toHaveLength(4);
  });

  it('makes only the configured widths that do not upscale, plus the source capped at the maximum', async () => {
    const wide = await sharp({
      create: { width: 2600, height: 1300, channels: 3, background: '#808080' },
    })
      .jpeg()
      .toBuffer();
    server.serve('/wide.jpg', wide, 'image/jpeg');
    const { productId, jobs } = await world.createProduct([
      { kind: 'url', url: server.url('/wide.jpg') },
    ]);
    await world.produceJobs(jobs);
    const product = await world.waitForImages(productId, allSettled);
    const image = product.images[0];
    expect(image?.status).toBe('ready');
    expect([...new Set(image?.variants.map((v) => v.width))].sort((a, b) => a - b)).toEqual([
      320, 640, 1280, 2048,
    ]);
    expect(image?.variants.find((v) => v.width === 2048)?.height).toBe(1024);
    expect(product.compressedProductImages).toEqual([
      image?.variants.find((v) => v.width === 2048 && v.format === 'avif')?.url,
    ]);
    // Public URL: anonymous GET through the configured base URL.
    const response = await fetch(product.compressedProductImages[0] ?? '');
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('image/avif');
  });

  it('runs the cache protocol the API reads with: a generation bump refuses a racing fill', async () => {
    const keys = cacheKeys(world.cachePrefix);
    const id = 'race-check';
    const [, generation] = (await redis.eval(
      CACHE_SCRIPTS.readOrGeneration,
      2,
      keys.product(id),
      keys.productGeneration(id),
      '42',
      60,
    )) as [number, string];
    await invalidateCachedProduct(redis, keys, id);
    const filled = await redis.eval(
      CACHE_SCRIPTS.fillIfUnchanged,
      2,
      keys.product(id),
      keys.productGeneration(id),
      generation,
      '{}',
      60,
    );
    expect(filled).toBe(0);
  });
});
