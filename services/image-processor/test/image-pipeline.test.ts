import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { imageFixturesDir, pngClaiming } from '@zocket/testkit';
import sharp, { type Sharp, type WebpOptions } from 'sharp';
import { thumbHashToApproximateAspectRatio } from 'thumbhash';
import { describe, expect, it, vi } from 'vitest';
import {
  DEFAULT_DECODE_LIMITS,
  DEFAULT_PROFILE,
  fitWidth,
  ImageError,
  type ImageErrorCode,
  MAX_ENCODER_SIDE,
  type ProcessedImage,
  processImage,
  sniffFormat,
  type VariantOutput,
  type VariantProfile,
  variantWidths,
} from '../src/pipeline/image-pipeline.js';
import {
  DEFAULT_TARGET_SCORE,
  SEARCH_AVIF,
  SEARCH_WEBP,
  withTargetScore,
} from '../src/quality/default-settings.js';

type Rgb = readonly [number, number, number];
const RED: Rgb = [220, 30, 30];
const GREEN: Rgb = [30, 200, 30];
const BLUE: Rgb = [30, 30, 220];
const YELLOW: Rgb = [230, 220, 40];

const WEBP_ONLY: VariantProfile = { ...DEFAULT_PROFILE, formats: ['webp'] };
const SEARCHED_PROFILE: VariantProfile = {
  ...DEFAULT_PROFILE,
  webp: withTargetScore(SEARCH_WEBP, DEFAULT_TARGET_SCORE, {}),
  avif: withTargetScore(SEARCH_AVIF, DEFAULT_TARGET_SCORE, {}),
};

/** A W x H RGB image whose quadrants are red, green (top) and blue, yellow (bottom). */
function quadrants(width: number, height: number): (x: number, y: number) => Rgb {
  return (x, y) => {
    const top = y < height / 2;
    const left = x < width / 2;
    if (top) return left ? RED : GREEN;
    return left ? BLUE : YELLOW;
  };
}

/**
 * Where the upright pixel (x, y) is stored for each EXIF orientation, so that a viewer applying
 * the orientation sees the upright image. Written out from the EXIF definitions rather than with
 * sharp, so the fixture does not depend on the code under test.
 */
function storedCoords(
  orientation: number,
  x: number,
  y: number,
  w: number,
  h: number,
): [number, number] {
  switch (orientation) {
    case 1:
      return [x, y];
    case 2:
      return [w - 1 - x, y];
    case 3:
      return [w - 1 - x, h - 1 - y];
    case 4:
      return [x, h - 1 - y];
    case 5:
      return [y, x];
    case 6:
      return [y, w - 1 - x];
    case 7:
      return [h - 1 - y, w - 1 - x];
    case 8:
      return [h - 1 - y, x];
    default:
      throw new Error(`no orientation ${orientation}`);
  }
}

async function orientedJpeg(orientation: number, w = 300, h = 200): Promise<Buffer> {
  const swap = orientation >= 5;
  const sw = swap ? h : w;
  const sh = swap ? w : h;
  const pixels = Buffer.alloc(sw * sh * 3);
  const colour = quadrants(w, h);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const [sx, sy] = storedCoords(orientation, x, y, w, h);
      pixels.set(colour(x, y), (sy * sw + sx) * 3);
    }
  }
  return sharp(pixels, { raw: { width: sw, height: sh, channels: 3 } })
    .jpeg({ quality: 95 })
    .withMetadata({ orientation })
    .toBuffer();
}

async function pixelAt(image: Buffer, x: number, y: number): Promise<number[]> {
  const { data, info } = await sharp(image).raw().toBuffer({ resolveWithObject: true });
  const offset = (y * info.width + x) * info.channels;
  return [...data.subarray(offset, offset + info.channels)];
}

function expectColour(actual: number[], expected: readonly number[], tolerance = 40): void {
  expected.forEach((value, i) => {
    expect(
      Math.abs((actual[i] ?? -1000) - value),
      `channel ${i}: ${actual} vs ${expected}`,
    ).toBeLessThanOrEqual(tolerance);
  });
}

async function expectQuadrants(variant: VariantOutput): Promise<void> {
  const { width: w, height: h } = variant;
  expectColour(await pixelAt(variant.data, Math.floor(w / 4), Math.floor(h / 4)), RED);
  expectColour(await pixelAt(variant.data, Math.floor((3 * w) / 4), Math.floor(h / 4)), GREEN);
  expectColour(await pixelAt(variant.data, Math.floor(w / 4), Math.floor((3 * h) / 4)), BLUE);
  expectColour(
    await pixelAt(variant.data, Math.floor((3 * w) / 4), Math.floor((3 * h) / 4)),
    YELLOW,
  );
}

async function solid(
  width: number,
  height: number,
  format: 'png' | 'jpeg' = 'png',
): Promise<Buffer> {
  const image = sharp({
    create: { width, height, channels: 3, background: { r: 90, g: 140, b: 200 } },
  });
  return format === 'png' ? image.png().toBuffer() : image.jpeg().toBuffer();
}

async function noisyJpeg(width: number, height: number): Promise<Buffer> {
  return sharp({
    create: {
      width,
      height,
      channels: 3,
      background: '#808080',
      noise: { type: 'gaussian', mean: 128, sigma: 60 },
    },
  })
    .jpeg({ quality: 90 })
    .toBuffer();
}

async function imageError(promise: Promise<unknown>): Promise<ImageError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(ImageError);
    expect((error as ImageError).retryable).toBe(false);
    return error as ImageError;
  }
  throw new Error('expected processImage to fail');
}

describe('sniffFormat', () => {
  it.each([
    ['jpeg', [0xff, 0xd8, 0xff, 0xe0, 0, 0x10]],
    ['png', [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0]],
    ['gif', [...Buffer.from('GIF89a'), 1, 0]],
    ['gif', [...Buffer.from('GIF87a'), 1, 0]],
    ['webp', [...Buffer.from('RIFF'), 0, 0, 0, 0, ...Buffer.from('WEBPVP8 ')]],
    ['tiff', [0x49, 0x49, 0x2a, 0x00, 8, 0, 0, 0]],
    ['tiff', [0x4d, 0x4d, 0x00, 0x2a, 0, 0, 0, 8]],
    [
      'avif',
      [0, 0, 0, 0x1c, ...Buffer.from('ftypavif'), 0, 0, 0, 0, ...Buffer.from('avifmif1miaf')],
    ],
    ['avif', [0, 0, 0, 0x18, ...Buffer.from('ftypmif1'), 0, 0, 0, 0, ...Buffer.from('mif1avif')]],
  ] as const)('recognises %s by its magic bytes', (format, bytes) => {
    expect(sniffFormat(Buffer.from(bytes))).toBe(format);
  });

  it.each([
    ['<svg xmlns="http://www.w3.org/2000/svg"/>'],
    ['\uFEFF<?xml version="1.0"?>\n<!-- drawn by hand -->\n<svg width="8">'],
    ['  <!DOCTYPE svg PUBLIC "-//W3C//DTD SVG 1.1//EN" "x">\n<svg>'],
  ])('recognises SVG text %#', (text) => {
    expect(sniffFormat(Buffer.from(text))).toBe('svg');
  });

  it.each([
    ['HTML', '<!doctype html><html><body>Not found</body></html>'],
    ['HEIC', `\0\0\0\x18ftypheic\0\0\0\0mif1heic`],
    ['BMP', 'BM6\0\0\0\0\0'],
    ['empty', ''],
    ['a short JPEG prefix', '\xff\xd8'],
  ])('returns undefined for %s', (_name, text) => {
    expect(sniffFormat(Buffer.from(text, 'latin1'))).toBeUndefined();
  });
});

describe('variantWidths', () => {
  it('never upscales: a 500 px source yields 320 and 500', () => {
    expect(variantWidths(500, DEFAULT_PROFILE)).toEqual([320, 500]);
  });

  it('caps a wide source at maxWidth', () => {
    expect(variantWidths(5000, DEFAULT_PROFILE)).toEqual([320, 640, 1280, 2048]);
  });

  it('does not repeat a width equal to the source', () => {
    expect(variantWidths(640, DEFAULT_PROFILE)).toEqual([320, 640]);
  });

  it('keeps a source narrower than every profile width as its only variant', () => {
    expect(variantWidths(100, DEFAULT_PROFILE)).toEqual([100]);
  });

  it('sorts, dedupes and drops profile widths above maxWidth', () => {
    const profile = { ...DEFAULT_PROFILE, widths: [1280, 320, 320, 4096], maxWidth: 1000 };
    expect(variantWidths(3000, profile)).toEqual([320, 1000]);
  });
});

describe('fitWidth', () => {
  it('leaves an image that fits alone', () => {
    expect(fitWidth(2048, 1365, 16383)).toBe(2048);
    expect(fitWidth(800, 16383, 16383)).toBe(800);
  });

  it('narrows a tall image until its height fits', () => {
    expect(fitWidth(800, 20000, 16383)).toBe(655);
    expect(Math.round((655 * 20000) / 800)).toBeLessThanOrEqual(16383);
  });

  it('narrows a wide image to the limit, and gives 0 when nothing fits', () => {
    expect(fitWidth(20000, 100, 16383)).toBe(16383);
    expect(fitWidth(1, 20000, 16383)).toBe(0);
  });
});

describe('processImage', () => {
  it.each([1, 2, 3, 4, 5, 6, 7, 8])(
    'turns a JPEG with EXIF orientation %i upright and leaves no orientation behind',
    async (orientation) => {
      const input = await orientedJpeg(orientation);
      const stored = await sharp(input).metadata();
      expect(stored.orientation).toBe(orientation);
      expect([stored.width, stored.height]).toEqual(orientation >= 5 ? [200, 300] : [300, 200]);

      const result = await processImage(input, DEFAULT_PROFILE, DEFAULT_DECODE_LIMITS);
      expect(result.source).toMatchObject({ format: 'jpeg', width: 300, height: 200 });
      expect(result.variants.map((v) => [v.format, v.width, v.height])).toEqual([
        ['webp', 300, 200],
        ['avif', 300, 200],
      ]);
      for (const variant of result.variants) {
        const metadata = await sharp(variant.data).metadata();
        expect(metadata.format).toBe(variant.format === 'avif' ? 'heif' : 'webp');
        expect(metadata.exif).toBeUndefined();
        expect(metadata.orientation).toBeUndefined();
        await expectQuadrants(variant);
      }
    },
  );

  it('strips EXIF, GPS, XMP and ICC data and leaves sRGB pixels', async () => {
    const input = await sharp({
      create: { width: 400, height: 300, channels: 3, background: { r: 200, g: 40, b: 40 } },
    })
      .jpeg()
      .withExif({
        IFD0: { Copyright: 'private owner', Artist: 'someone' },
        IFD3: { GPSLatitudeRef: 'N', GPSLatitude: '51/1 30/1 0/1' },
      })
      .withXmp('<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF/></x:xmpmeta>')
      .withIccProfile('p3')
      .toBuffer();
    const before = await sharp(input).metadata();
    expect(before.exif).toBeDefined();
    expect(before.icc).toBeDefined();
    expect(before.xmp).toBeDefined();

    const result = await processImage(input, DEFAULT_PROFILE, DEFAULT_DECODE_LIMITS);
    for (const variant of result.variants) {
      const metadata = await sharp(variant.data).metadata();
      expect(metadata.exif).toBeUndefined();
      expect(metadata.icc).toBeUndefined();
      expect(metadata.xmp).toBeUndefined();
      expect(metadata.space).toBe('srgb');
      expect(variant.data.includes(Buffer.from('private owner'))).toBe(false);
    }
  });

  it('keeps alpha in WebP and AVIF variants of a transparent PNG', async () => {
    const pixels = Buffer.alloc(400 * 300 * 4);
    for (let i = 0; i < 400 * 300; i++) {
      const x = i % 400;
      pixels.set(x < 200 ? [0, 0, 0, 0] : [20, 160, 60, 255], i * 4);
    }
    const input = await sharp(pixels, { raw: { width: 400, height: 300, channels: 4 } })
      .png()
      .toBuffer();
    const result = await processImage(input, DEFAULT_PROFILE, DEFAULT_DECODE_LIMITS);
    expect(result.variants.map((v) => `${v.format}:${v.width}x${v.height}`)).toEqual([
      'webp:320x240',
      'avif:320x240',
      'webp:400x300',
      'avif:400x300',
    ]);
    for (const variant of result.variants) {
      expect((await sharp(variant.data).metadata()).hasAlpha).toBe(true);
      const transparent = await pixelAt(
        variant.data,
        Math.floor(variant.width / 8),
        variant.height / 2,
      );
      const opaque = await pixelAt(
        variant.data,
        Math.floor((7 * variant.width) / 8),
        variant.height / 2,
      );
      expect(transparent[3]).toBeLessThanOrEqual(5);
      expect(opaque[3]).toBeGreaterThanOrEqual(250);
    }
  });

  it('converts a CMYK JPEG to sRGB with the right colours', async () => {
    const input = await sharp({
      create: { width: 300, height: 200, channels: 3, background: { r: 200, g: 30, b: 30 } },
    })
      .toColourspace('cmyk')
      .jpeg()
      .toBuffer();
    expect((await sharp(input).metadata()).space).toBe('cmyk');
    const result = await processImage(input, DEFAULT_PROFILE, DEFAULT_DECODE_LIMITS);
    for (const variant of result.variants) {
      const metadata = await sharp(variant.data).metadata();
      expect(metadata.space).toBe('srgb');
      expect(metadata.channels).toBe(3);
      expectColour(await pixelAt(variant.data, 150, 100), [200, 30, 30], 45);
    }
  });

  it('keeps only the first frame of an animated GIF', async () => {
    const frame = (background: Rgb) =>
      sharp({
        create: {
          width: 120,
          height: 80,
          channels: 3,
          background: { r: background[0], g: background[1], b: background[2] },
        },
      })
        .png()
        .toBuffer();
    const frames = await Promise.all([frame(RED), frame(GREEN), frame(BLUE)]);
    const input = await sharp(frames, { join: { animated: true } })
      .gif()
      .toBuffer();
    expect((await sharp(input).metadata()).pages).toBe(3);

    const result = await processImage(input, DEFAULT_PROFILE, DEFAULT_DECODE_LIMITS);
    expect(result.source).toMatchObject({ format: 'gif', width: 120, height: 80 });
    for (const variant of result.variants) {
      const metadata = await sharp(variant.data, { animated: true }).metadata();
      expect([metadata.width, metadata.height]).toEqual([120, 80]);
      expect(metadata.pages ?? 1).toBe(1);
      expectColour(await pixelAt(variant.data, 60, 40), RED, 50);
    }
  });

  it('reads a 16-bit PNG', async () => {
    const input = await sharp({
      create: { width: 360, height: 240, channels: 3, background: { r: 30, g: 90, b: 200 } },
    })
      .toColourspace('rgb16')
      .png()
      .toBuffer();
    expect((await sharp(input).metadata()).depth).toBe('ushort');
    const result = await processImage(input, DEFAULT_PROFILE, DEFAULT_DECODE_LIMITS);
    expect(result.variants.map((v) => v.width)).toEqual([320, 320, 360, 360]);
    for (const variant of result.variants) {
      expect((await sharp(variant.data).metadata()).space).toBe('srgb');
      expectColour(await pixelAt(variant.data, 100, 100), [30, 90, 200], 30);
    }
  });

  it('never upscales: a 500 px wide source gives 320 and 500 px variants with proportional heights', async () => {
    const result = await processImage(
      await solid(500, 250),
      DEFAULT_PROFILE,
      DEFAULT_DECODE_LIMITS,
    );
    expect(result.variants.map((v) => `${v.format}:${v.width}x${v.height}`)).toEqual([
      'webp:320x160',
      'avif:320x160',
      'webp:500x250',
      'avif:500x250',
    ]);
    for (const variant of result.variants) {
      expect(variant.bytes).toBe(variant.data.length);
      expect(variant.contentType).toBe(`image/${variant.format}`);
      const metadata = await sharp(variant.data).metadata();
      expect([metadata.width, metadata.height]).toEqual([variant.width, variant.height]);
    }
  });

  it('caps a wide source at maxWidth and keeps the aspect ratio', async () => {
    const result = await processImage(
      await solid(3000, 1000, 'jpeg'),
      WEBP_ONLY,
      DEFAULT_DECODE_LIMITS,
    );
    expect(result.source).toMatchObject({ width: 3000, height: 1000 });
    expect(result.variants.map((v) => `${v.width}x${v.height}`)).toEqual([
      '320x107',
      '640x213',
      '1280x427',
      '2048x683',
    ]);
  });

  describe('a source taller than an encoder accepts (800x20000, 16 MP)', () => {
    // Flat colour: cheap to make, decode and encode, and still 20000 px tall.
    const tall = solid(800, 20_000);
    const fastProfile: VariantProfile = {
      ...DEFAULT_PROFILE,
      webp: { quality: 75, effort: 0 },
      avif: { quality: 50, effort: 0 },
    };

    it('gives WebP and AVIF variants that fit inside the encoders, with its aspect ratio', async () => {
      const result = await processImage(await tall, fastProfile, DEFAULT_DECODE_LIMITS);
      expect(result.source).toMatchObject({ width: 800, height: 20_000 });
      expect(result.variants.map((v) => `${v.format}:${v.width}x${v.height}`)).toEqual([
        'webp:320x8000',
        'avif:320x8000',
        'webp:640x16000',
        'avif:640x16000',
        'webp:655x16375',
        'avif:655x16375',
      ]);
      for (const variant of result.variants) {
        expect(variant.height).toBeLessThanOrEqual(MAX_ENCODER_SIDE[variant.format]);
        expect(variant.width / variant.height).toBeCloseTo(800 / 20_000, 3);
        const metadata = await sharp(variant.data).metadata();
        expect([metadata.width, metadata.height]).toEqual([variant.width, variant.height]);
      }
    });

    it("turns an encoder's refusal into a permanent, readable ImageError", async () => {
      // Sends the full 800x20000 to the WebP encoder, as the pipeline did before it fitted
      // variants to the encoders, so libwebp's own size check fails for real.
      const prototype = sharp.prototype as Sharp;
      const webp = prototype.webp;
      const spy = vi.spyOn(prototype, 'webp').mockImplementation(function (
        this: Sharp,
        options?: WebpOptions,
      ) {
        return webp.call(this.resize({ width: 800 }), options);
      });
      try {
        const error = await imageError(processImage(await tall, WEBP_ONLY, DEFAULT_DECODE_LIMITS));
        expect(error.code).toBe('IMAGE_TOO_LARGE');
        expect(error.message).toBe(
          'png image is too large to encode as webp: Processed image is too large for the WebP format',
        );
      } finally {
        spy.mockRestore();
      }
    });
  });

  it('describes the source and a placeholder with its aspect ratio', async () => {
    const input = await solid(640, 320);
    const result: ProcessedImage = await processImage(input, WEBP_ONLY, DEFAULT_DECODE_LIMITS);
    expect(result.source).toEqual({
      format: 'png',
      width: 640,
      height: 320,
      bytes: input.length,
      contentHash: createHash('sha256').update(input).digest('hex'),
    });
    const hash = Buffer.from(result.placeholder, 'base64');
    expect(hash.length).toBeGreaterThan(4);
    expect(thumbHashToApproximateAspectRatio(hash)).toBeCloseTo(2, 0);
  });

  it.each([
    ['fixed qualities', DEFAULT_PROFILE],
    ['a quality target (searched per image)', SEARCHED_PROFILE],
  ])('produces identical bytes for the same input twice, with %s', async (_, profile) => {
    const input = await orientedJpeg(6, 700, 500);
    const first = await processImage(input, profile, DEFAULT_DECODE_LIMITS);
    const second = await processImage(input, profile, DEFAULT_DECODE_LIMITS);
    expect(second.placeholder).toBe(first.placeholder);
    expect(second.variants).toHaveLength(first.variants.length);
    first.variants.forEach((variant, i) => {
      expect(
        second.variants[i]?.data.equals(variant.data),
        `${variant.format} ${variant.width}`,
      ).toBe(true);
    });
  });

  describe('refusals', () => {
    it('refuses a truncated JPEG as CORRUPT_IMAGE', async () => {
      const whole = await noisyJpeg(400, 300);
      const error = await imageError(
        processImage(
          whole.subarray(0, Math.floor(whole.length / 2)),
          DEFAULT_PROFILE,
          DEFAULT_DECODE_LIMITS,
        ),
      );
      expect(error.code).toBe('CORRUPT_IMAGE');
      expect(error.message).toMatch(/corrupt or truncated jpeg/);
    });

    it('refuses a truncated PNG as CORRUPT_IMAGE', async () => {
      const whole = await sharp({
        create: {
          width: 300,
          height: 300,
          channels: 3,
          background: '#808080',
          noise: { type: 'gaussian', mean: 128, sigma: 50 },
        },
      })
        .png()
        .toBuffer();
      const error = await imageError(
        processImage(
          whole.subarray(0, Math.floor(whole.length / 2)),
          DEFAULT_PROFILE,
          DEFAULT_DECODE_LIMITS,
        ),
      );
      expect(error.code).toBe('CORRUPT_IMAGE');
    });

    it('refuses a JPEG signature followed by garbage', async () => {
      const input = Buffer.concat([
        Buffer.from([0xff, 0xd8, 0xff, 0xe0]),
        Buffer.alloc(2_000, 0x5a),
      ]);
      const error = await imageError(processImage(input, DEFAULT_PROFILE, DEFAULT_DECODE_LIMITS));
      expect(['CORRUPT_IMAGE', 'UNSUPPORTED_FORMAT']).toContain(error.code);
    });

    it('refuses a PNG with a broken IHDR CRC as CORRUPT_IMAGE', async () => {
      const input = Buffer.from(await solid(50, 50));
      input[29] = (input[29] ?? 0) ^ 0xff; // inside the IHDR CRC
      const error = await imageError(processImage(input, DEFAULT_PROFILE, DEFAULT_DECODE_LIMITS));
      expect(error.code).toBe('CORRUPT_IMAGE');
    });

    it('refuses SVG as UNSUPPORTED_FORMAT', async () => {
      const svg = Buffer.from(
        '<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><rect width="10" height="10"/></svg>',
      );
      const error = await imageError(processImage(svg, DEFAULT_PROFILE, DEFAULT_DECODE_LIMITS));
      expect(error.code).toBe('UNSUPPORTED_FORMAT');
      expect(error.message).toMatch(/SVG/);
    });

    it('refuses an HTML page as UNSUPPORTED_FORMAT', async () => {
      const html = Buffer.from(
        '<!DOCTYPE html>\n<html><head><title>404</title></head><body>Not found</body></html>',
      );
      const error = await imageError(processImage(html, DEFAULT_PROFILE, DEFAULT_DECODE_LIMITS));
      expect(error.code).toBe('UNSUPPORTED_FORMAT');
      expect(error.message).toMatch(/HTML page, not an image/);
    });

    it('refuses empty input and unknown bytes as UNSUPPORTED_FORMAT', async () => {
      for (const input of [
        Buffer.alloc(0),
        Buffer.from('just some text'),
        Buffer.from('BM6\0\0\0\0\0\0\0', 'latin1'),
      ]) {
        const error = await imageError(processImage(input, DEFAULT_PROFILE, DEFAULT_DECODE_LIMITS));
        expect(error.code).toBe('UNSUPPORTED_FORMAT');
      }
    });

    it('refuses a PNG claiming 65536x65536 before decoding it', async () => {
      const error = await imageError(
        processImage(pngClaiming(65536, 65536), DEFAULT_PROFILE, DEFAULT_DECODE_LIMITS),
      );
      expect(error.code).toBe('IMAGE_TOO_LARGE');
    });

    it('refuses a PNG claiming 10000x10000 under the 50 MP default', async () => {
      const error = await imageError(
        processImage(pngClaiming(10_000, 10_000), DEFAULT_PROFILE, DEFAULT_DECODE_LIMITS),
      );
      expect(error.code).toBe('IMAGE_TOO_LARGE');
    });

    it('applies maxPixels and maxInputBytes from the limits', async () => {
      const input = await solid(400, 300);
      const pixels = await imageError(
        processImage(input, DEFAULT_PROFILE, { maxPixels: 400 * 300 - 1 }),
      );
      expect(pixels.code).toBe('IMAGE_TOO_LARGE');
      const bytes = await imageError(
        processImage(input, DEFAULT_PROFILE, { maxPixels: 1e6, maxInputBytes: 100 }),
      );
      expect(bytes.code).toBe('IMAGE_TOO_LARGE');
      await expect(processImage(input, WEBP_ONLY, { maxPixels: 400 * 300 })).resolves.toBeDefined();
    });
  });
});

const FIXTURES = imageFixturesDir();

describe.skipIf(!existsSync(FIXTURES))('processImage on the shared fixtures', () => {
  const edge = join(FIXTURES, 'edge');
  const photos = join(FIXTURES, 'photos');

  /** What each known bad input must produce; any other file in edge/ must at least fail typed. */
  const EXPECTED_EDGE: Record<string, ImageErrorCode> = {
    '65536-uint32-limit.png': 'IMAGE_TOO_LARGE',
    'circle.svg': 'UNSUPPORTED_FORMAT',
    'corrupt-header.jpg': 'CORRUPT_IMAGE',
    'giant-image.jpg': 'IMAGE_TOO_LARGE',
    'truncated.jpg': 'CORRUPT_IMAGE',
    'truncated.png': 'CORRUPT_IMAGE',
  };
  const edgeFiles = existsSync(edge)
    ? readdirSync(edge).filter((name) => name !== 'big-height.webp')
    : [];

  it.each(edgeFiles)('refuses edge/%s with a typed ImageError', async (name) => {
    const error = await imageError(
      processImage(readFileSync(join(edge, name)), DEFAULT_PROFILE, DEFAULT_DECODE_LIMITS),
    );
    const expected = EXPECTED_EDGE[name];
    if (expected !== undefined) expect(error.code).toBe(expected);
  });

  it.skipIf(!existsSync(join(edge, 'big-height.webp')))(
    'takes the first 13x169 frame of edge/big-height.webp, whose full strip is too tall for WebP',
    async () => {
      const result = await processImage(
        readFileSync(join(edge, 'big-height.webp')),
        WEBP_ONLY,
        DEFAULT_DECODE_LIMITS,
      );
      expect(result.source).toMatchObject({ format: 'webp', width: 13, height: 169 });
      expect(result.variants.map((v) => `${v.width}x${v.height}`)).toEqual(['13x169']);
    },
  );

  /** A 16x12 greyscale thumbnail, for comparing a variant with the upright reference. */
  async function thumbnail(image: Buffer): Promise<Buffer> {
    return sharp(image).resize(16, 12, { fit: 'fill' }).greyscale().raw().toBuffer();
  }
  function meanDifference(a: Buffer, b: Buffer): number {
    let sum = 0;
    for (let i = 0; i < a.length; i++) sum += Math.abs((a[i] ?? 0) - (b[i] ?? 0));
    return sum / a.length;
  }

  describe.each([
    ['Landscape', 600, 450],
    ['Portrait', 450, 600],
  ])('%s_1..8', (kind, width, height) => {
    it.each([1, 2, 3, 4, 5, 6, 7, 8])(`comes out upright for ${kind}_%i`, async (n) => {
      const reference = await thumbnail(readFileSync(join(photos, `${kind}_1.jpg`)));
      const result = await processImage(
        readFileSync(join(photos, `${kind}_${n}.jpg`)),
        WEBP_ONLY,
        DEFAULT_DECODE_LIMITS,
      );
      expect(result.source).toMatchObject({ width, height });
      const largest = result.variants.at(-1);
      expect(largest).toMatchObject({ width, height });
      const metadata = await sharp(largest?.data).metadata();
      expect(metadata.exif).toBeUndefined();
      expect(metadata.orientation).toBeUndefined();
      expect(
        meanDifference(await thumbnail(largest?.data ?? Buffer.alloc(0)), reference),
      ).toBeLessThan(12);
    });
  });

  const photoFiles = existsSync(photos)
    ? readdirSync(photos).filter((name) => !/^(Landscape|Portrait)_/.test(name))
    : [];
  it.each(photoFiles)('processes photos/%s into sRGB variants without metadata', async (name) => {
    const result = await processImage(
      readFileSync(join(photos, name)),
      WEBP_ONLY,
      DEFAULT_DECODE_LIMITS,
    );
    expect(result.variants.length).toBeGreaterThan(0);
    for (const variant of result.variants) {
      const metadata = await sharp(variant.data).metadata();
      expect(metadata.space).toBe('srgb');
      expect(metadata.exif).toBeUndefined();
      expect(metadata.icc).toBeUndefined();
      expect(metadata.pages ?? 1).toBe(1);
      expect(variant.width).toBeLessThanOrEqual(DEFAULT_PROFILE.maxWidth);
    }
  });
});
