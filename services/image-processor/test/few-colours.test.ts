import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { imageFixturesDir } from '@zocket/testkit';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { FEW_COLOURS, hasFewColours } from '../src/pipeline/few-colours.js';
import {
  DEFAULT_DECODE_LIMITS,
  DEFAULT_PROFILE,
  PROFILE_V1,
  processImage,
  type VariantOutput,
} from '../src/pipeline/image-pipeline.js';

/** A Kodak photo from the shared corpus; its case is skipped where the corpus is absent. */
const KODIM03 = join(imageFixturesDir(), 'kodak', 'kodim03.png');

/** A deterministic sequence in [0, 1), so the generated images are the same on every run. */
function seeded(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}

/**
 * A bilevel page scan: lines of word-like black blocks and a ruled table on white, stored the
 * way fax machines and document scanners do, as a 1-bit CCITT Group 4 TIFF.
 */
async function bilevelScan(): Promise<Buffer> {
  const width = 1200;
  const height = 1600;
  const random = seeded(7);
  const shapes: string[] = [];
  for (let y = 120; y < 1100; y += 34) {
    let x = 100;
    while (x < width - 160) {
      const word = 20 + Math.floor(random() * 90);
      // Each word is a few glyph-like strokes rather than one solid block.
      for (let g = 0; g < word; g += 9) {
        const glyph = 5 + Math.floor(random() * 3);
        shapes.push(
          `<rect x="${x + g}" y="${y}" width="${glyph}" height="${18 + Math.floor(random() * 6)}"/>`,
        );
      }
      x += word + 14;
    }
  }
  for (let row = 0; row <= 6; row++) {
    shapes.push(`<rect x="100" y="${1200 + row * 50}" width="1000" height="3"/>`);
  }
  for (let col = 0; col <= 4; col++) {
    shapes.push(`<rect x="${100 + col * 250}" y="1200" width="3" height="300"/>`);
  }
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}"><rect width="100%" height="100%" fill="#fff"/><g fill="#000">${shapes.join('')}</g></svg>`;
  // One band (no alpha), as Group 4 needs a single 1-bit channel.
  return sharp(Buffer.from(svg))
    .flatten({ background: '#ffffff' })
    .extractChannel(0)
    .threshold(128)
    .tiff({ compression: 'ccittfax4', bitdepth: 1 })
    .toBuffer();
}

/** A flat-colour logo: four solid colours with anti-aliased edges, as a designer exports it. */
async function flatLogo(): Promise<Buffer> {
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="800" height="800">
    <rect width="800" height="800" fill="#ffffff"/>
    <circle cx="400" cy="330" r="230" fill="#1d4ed8"/>
    <polygon points="400,150 560,450 240,450" fill="#facc15"/>
    <rect x="150" y="620" width="500" height="90" rx="30" fill="#dc2626"/>
  </svg>`;
  return sharp(Buffer.from(svg)).png().toBuffer();
}

/** The RIFF chunk that carries a WebP's image: `VP8L` is lossless, `VP8 ` lossy. */
function webpKind(data: Buffer): 'lossless' | 'lossy' {
  const fourcc = data.subarray(12, 16).toString('latin1');
  if (fourcc === 'VP8L') return 'lossless';
  if (fourcc === 'VP8 ') return 'lossy';
  // Extended files (alpha, metadata) name their image chunk after the VP8X header.
  return data.includes(Buffer.from('VP8L')) ? 'lossless' : 'lossy';
}

/** The lossy WebP the profile would have stored for the same width. */
async function lossyEncode(input: Buffer, width: number): Promise<Buffer> {
  const { quality, effort } = DEFAULT_PROFILE.webp;
  return sharp(input)
    .toColourspace('srgb')
    .resize({ width, withoutEnlargement: true })
    .webp({ quality, effort })
    .toBuffer();
}

function webps(variants: VariantOutput[]): VariantOutput[] {
  return variants.filter((v) => v.format === 'webp');
}

describe('few-colour and bilevel images', () => {
  it.each([
    ['a bilevel CCITT G4 scan', bilevelScan],
    ['a flat-colour logo', flatLogo],
  ])(
    'stores %s at full size as a lossless WebP, smaller than the lossy encode',
    async (_, make) => {
      const input = await make();
      const result = await processImage(input, DEFAULT_PROFILE, DEFAULT_DECODE_LIMITS);
      const stored = webps(result.variants);
      const full = stored.find((v) => v.width === result.source.width) as VariantOutput;
      expect(full).toBeDefined();
      expect(webpKind(full.data)).toBe('lossless');
      expect(full.lossless).toBe(true);
      expect(full.bytes).toBeLessThan((await lossyEncode(input, full.width)).length);
      // Every width keeps whichever encode is smaller: a downscale blends edges into gradients,
      // where the lossy encode can win.
      for (const variant of stored) {
        const lossy = await lossyEncode(input, variant.width);
        const lossless = await sharp(input)
          .toColourspace('srgb')
          .resize({ width: variant.width, withoutEnlargement: true })
          .webp({ lossless: true, effort: DEFAULT_PROFILE.webp.effort })
          .toBuffer();
        expect(variant.bytes).toBeLessThanOrEqual(Math.min(lossy.length, lossless.length));
        expect(webpKind(variant.data)).toBe(variant.lossless === true ? 'lossless' : 'lossy');
      }
    },
  );

  it('keeps the scan exactly black and white at full size, without lossy ringing', async () => {
    const input = await bilevelScan();
    const result = await processImage(input, DEFAULT_PROFILE, DEFAULT_DECODE_LIMITS);
    const full = webps(result.variants).find((v) => v.width === result.source.width);
    const stored = await sharp(full?.data).greyscale().raw().toBuffer();
    const expected = await sharp(input).greyscale().raw().toBuffer();
    expect(stored.equals(expected)).toBe(true);
  });

  it('keeps photo-like images lossy', async () => {
    // Smooth gradients with sensor-like noise: thousands of colours, as in any photo.
    const width = 800;
    const height = 600;
    const random = seeded(7);
    const pixels = Buffer.alloc(width * height * 3);
    for (let y = 0; y < height; y += 1) {
      for (let x = 0; x < width; x += 1) {
        const i = (y * width + x) * 3;
        const noise = () => (random() - 0.5) * 24;
        pixels[i] = Math.max(0, Math.min(255, (x / width) * 200 + 30 + noise()));
        pixels[i + 1] = Math.max(0, Math.min(255, (y / height) * 180 + 40 + noise()));
        pixels[i + 2] = Math.max(
          0,
          Math.min(255, ((x + y) / (width + height)) * 160 + 60 + noise()),
        );
      }
    }
    const photo = await sharp(pixels, { raw: { width, height, channels: 3 } })
      .jpeg({ quality: 90 })
      .toBuffer();
    const result = await processImage(photo, DEFAULT_PROFILE, DEFAULT_DECODE_LIMITS);
    for (const variant of webps(result.variants)) {
      expect(webpKind(variant.data)).toBe('lossy');
      expect(variant.lossless).toBeUndefined();
    }
  });

  it.skipIf(!existsSync(KODIM03))('keeps a Kodak photo lossy', async () => {
    const result = await processImage(
      readFileSync(KODIM03),
      DEFAULT_PROFILE,
      DEFAULT_DECODE_LIMITS,
    );
    for (const variant of webps(result.variants)) {
      expect(webpKind(variant.data)).toBe('lossy');
      expect(variant.lossless).toBeUndefined();
    }
  });

  it('leaves profile v1 as it was: lossy even for a logo', async () => {
    const result = await processImage(await flatLogo(), PROFILE_V1, DEFAULT_DECODE_LIMITS);
    for (const variant of webps(result.variants)) expect(webpKind(variant.data)).toBe('lossy');
  });

  it('counts colours up to the limit and stops past it', () => {
    const pixels = (colours: number) => {
      const data = new Uint8Array(colours * 2 * 3);
      for (let i = 0; i < colours * 2; i++) {
        const c = i % colours;
        data.set([c & 255, (c >> 8) & 255, 7], i * 3);
      }
      return data;
    };
    expect(hasFewColours(pixels(2), 3)).toBe(true);
    expect(hasFewColours(pixels(FEW_COLOURS), 3)).toBe(true);
    expect(hasFewColours(pixels(FEW_COLOURS + 1), 3)).toBe(false);
    // Alpha is part of the colour: the same RGB at two opacities is two colours.
    expect(hasFewColours(new Uint8Array([1, 2, 3, 255, 1, 2, 3, 0]), 4, 1)).toBe(false);
  });
});
