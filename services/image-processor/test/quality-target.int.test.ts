import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rgbPixels } from '../src/pipeline/image-pipeline.js';
import { Ssimulacra2Reference } from '../src/quality/ssimulacra2.js';
import {
  allSettled,
  createProcessorWorld,
  type ImageServer,
  type ProcessorWorld,
  startImageServer,
} from './processor-world.js';

/** Blurred noise: detail an encoder has to spend bytes on. */
function photoLike(seed: number): Promise<Buffer> {
  return sharp({
    create: {
      width: 480,
      height: 320,
      channels: 3,
      background: { r: 90 + seed, g: 130, b: 170 },
      noise: { type: 'gaussian', mean: 120, sigma: 35 },
    },
  })
    .blur(1.1)
    .png()
    .toBuffer();
}

describe('image processor with QUALITY_TARGET: scores on worker threads, recorded per variant', () => {
  let world: ProcessorWorld;
  let server: ImageServer;

  beforeAll(async () => {
    world = await createProcessorWorld();
    server = await startImageServer();
    await world.startProcessor({ QUALITY_TARGET: '70' });
  });
  afterAll(async () => {
    await world?.close();
    await server?.close();
  });

  it('makes every variant of every image reach the target, and records the scores it measured', async () => {
    const sources = await Promise.all([photoLike(0), photoLike(60)]);
    for (const [i, png] of sources.entries()) server.serve(`/photo-${i}.png`, png, 'image/png');
    const { productId, jobs } = await world.createProduct(
      sources.map((_, i) => ({ kind: 'url' as const, url: server.url(`/photo-${i}.png`) })),
    );
    await world.produceJobs(jobs);
    const product = await world.waitForImages(productId, allSettled, 120_000);

    expect(product.images.map((i) => i.status)).toEqual(['ready', 'ready']);
    for (const image of product.images) {
      const source = sources[image.position] as Buffer;
      // 320 px and the source's own 480 px, in both formats.
      expect(image.variants.map((v) => `${v.format}:${v.width}`).sort()).toEqual([
        'avif:320',
        'avif:480',
        'webp:320',
        'webp:480',
      ]);
      for (const variant of image.variants) {
        const { body } = await world.getObject(variant.key);
        const reference = await rgbPixels(sharp(source).resize({ width: variant.width }));
        const measured = new Ssimulacra2Reference(reference).score(await rgbPixels(sharp(body)));
        expect(variant.score, `${variant.format}:${variant.width}`).toBeGreaterThanOrEqual(70);
        expect(variant.score).toBeCloseTo(measured, 1);
        expect(variant.quality).toBeGreaterThan(0);
      }
    }
  });
});
