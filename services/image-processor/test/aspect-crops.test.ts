import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { focalCropBox } from '../src/pipeline/aspect-crops.js';
import {
  DEFAULT_DECODE_LIMITS,
  DEFAULT_PROFILE,
  processImage,
  type VariantOutput,
  type VariantProfile,
} from '../src/pipeline/image-pipeline.js';
import { inProcessScoring } from '../src/quality/score-pool.js';
import { variantKey } from '../src/s3/s3-store.js';

const WIDTH = 1200;
const HEIGHT = 600;
/** The subject's centre, well right of the image's centre. */
const SUBJECT = { x: 960, y: 300, r: 110 };

/**
 * A 1200x600 photo-like scene: a soft grey gradient, and off-centre to the right a saturated,
 * textured red disc, the kind of subject libvips' attention strategy looks for.
 */
async function offCentreSubject(): Promise<Buffer> {
  const data = Buffer.alloc(WIDTH * HEIGHT * 3);
  for (let y = 0; y < HEIGHT; y++) {
    for (let x = 0; x < WIDTH; x++) {
      const i = (y * WIDTH + x) * 3;
      const inside = (x - SUBJECT.x) ** 2 + (y - SUBJECT.y) ** 2 <= SUBJECT.r ** 2;
      if (inside) {
        const texture = ((x * 7 + y * 13) % 23) * 3;
        data[i] = 200 + (texture % 55);
        data[i + 1] = 20 + (texture % 30);
        data[i + 2] = 30;
      } else {
        const grey = 120 + Math.round((x / WIDTH) * 20 + (y / HEIGHT) * 10);
        data.fill(grey, i, i + 3);
      }
    }
  }
  return sharp(data, { raw: { width: WIDTH, height: HEIGHT, channels: 3 } })
    .png()
    .toBuffer();
}

/** How many strongly red pixels a variant shows, and their mean x as a fraction of its width. */
async function redPixels(variant: VariantOutput): Promise<{ count: number; meanX: number }> {
  const { data, info } = await sharp(variant.data)
    .removeAlpha()
    .raw()
    .toBuffer({ resolveWithObject: true });
  let count = 0;
  let sumX = 0;
  for (let p = 0; p < info.width * info.height; p++) {
    const [r, g, b] = [data[p * 3] as number, data[p * 3 + 1] as number, data[p * 3 + 2] as number];
    if (r > 170 && g < 90 && b < 90) {
      count += 1;
      sumX += p % info.width;
    }
  }
  return { count, meanX: count === 0 ? 0 : sumX / count / info.width };
}

const SQUARES: VariantProfile = {
  ...DEFAULT_PROFILE,
  formats: ['webp'],
  widths: [640],
  maxWidth: 1200,
  crops: [{ aspect: [1, 1], widths: [320, 480, 640] }],
};

const crops = (variants: VariantOutput[]) => variants.filter((v) => v.crop !== undefined);
const square320 = (variants: VariantOutput[]) =>
  crops(variants).find((v) => v.width === 320) as VariantOutput;

describe('aspect crops', () => {
  it('renders the declared 1:1 crops, square, never upscaled, keyed apart from the full frames', async () => {
    const result = await processImage(await offCentreSubject(), SQUARES, DEFAULT_DECODE_LIMITS);
    const square = crops(result.variants);
    expect(square.map((v) => [v.width, v.height, v.crop])).toEqual([
      [320, 320, '1x1/attention'],
      [480, 480, '1x1/attention'],
    ]);
    const keys = result.variants.map((v) => variantKey('v2', 'abc', v));
    expect(new Set(keys).size).toBe(keys.length);
    expect(keys).toContain('variants/v2/abc/crop-1x1/attention/480.webp');
    expect(keys).toContain('variants/v2/abc/640.webp');
  });

  it('finds the off-centre subject with the attention strategy when no focal point is set', async () => {
    const result = await processImage(await offCentreSubject(), SQUARES, DEFAULT_DECODE_LIMITS);
    const red = await redPixels(square320(result.variants));
    // The whole disc in a 600 px square scaled to 320: about pi * (110 * 320 / 600)^2 pixels.
    const disc = Math.PI * ((SUBJECT.r * 320) / 600) ** 2;
    expect(red.count).toBeGreaterThan(disc * 0.9);
  });

  it('moves the crop with the focal point, and leaves the full-frame variants as they were', async () => {
    const input = await offCentreSubject();
    const render = (x: number) =>
      processImage(input, SQUARES, DEFAULT_DECODE_LIMITS, inProcessScoring, { x, y: 0.5 });
    const onSubject = await render(SUBJECT.x / WIDTH);
    const left = await render(0.1);
    const centre = await render(0.5);

    // On the subject: the whole disc, right of the crop's centre (the box stops at the edge).
    const red = await redPixels(square320(onSubject.variants));
    expect(red.count).toBeGreaterThan(Math.PI * ((SUBJECT.r * 320) / 600) ** 2 * 0.9);
    expect(red.meanX).toBeGreaterThan(0.55);
    // At the left edge: the box covers x 0-600, and the subject is not in it.
    expect((await redPixels(square320(left.variants))).count).toBe(0);
    // Centred: the box covers x 300-900, which holds the disc's left part at its right edge.
    const partial = await redPixels(square320(centre.variants));
    expect(partial.count).toBeGreaterThan(0);
    expect(partial.count).toBeLessThan(red.count);
    expect(partial.meanX).toBeGreaterThan(0.85);

    expect(square320(onSubject.variants).crop).toBe('1x1/f0.800-0.500');
    const fullFrames = (r: typeof left) => r.variants.filter((v) => v.crop === undefined);
    expect(fullFrames(left).map((v) => v.data)).toEqual(fullFrames(onSubject).map((v) => v.data));
    expect(fullFrames(left).map((v) => variantKey('v2', 'h', v))).toEqual(
      fullFrames(onSubject).map((v) => variantKey('v2', 'h', v)),
    );
  });

  it('places the focal box as near the point as the edges allow', () => {
    expect(focalCropBox(1200, 600, [1, 1], { x: 0.5, y: 0.5 })).toEqual({
      left: 300,
      top: 0,
      width: 600,
      height: 600,
    });
    expect(focalCropBox(1200, 600, [1, 1], { x: 0, y: 0 }).left).toBe(0);
    expect(focalCropBox(1200, 600, [1, 1], { x: 1, y: 1 }).left).toBe(600);
    expect(focalCropBox(600, 1200, [4, 5], { x: 0.5, y: 0.9 })).toEqual({
      left: 0,
      top: 450,
      width: 600,
      height: 750,
    });
  });
});
