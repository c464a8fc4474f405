import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { imageFixturesDir } from '@zocket/testkit';
import sharp from 'sharp';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  DEFAULT_DECODE_LIMITS,
  DEFAULT_PROFILE as FIXED_PROFILE,
  processImage,
  rgbPixels,
  type VariantProfile,
} from '../../src/pipeline/image-pipeline.js';
import {
  DEFAULT_TARGET_SCORE,
  SEARCH_AVIF,
  SEARCH_WEBP,
  withTargetScore,
} from '../../src/quality/default-settings.js';
import { ScorePool } from '../../src/quality/score-pool.js';
import { Ssimulacra2Reference } from '../../src/quality/ssimulacra2.js';
import { type EncoderSettings, VariantQualities } from '../../src/quality/variant-qualities.js';
import { VariantScorer } from '../../src/quality/variant-scorer.js';

const kodak = join(imageFixturesDir(), 'kodak');

/** Textured noise over a gradient: a stand-in for a photo with fine detail. */
async function texturedImage(width: number, height: number): Promise<Buffer> {
  const noise = await sharp({
    create: {
      width,
      height,
      channels: 3,
      background: '#000',
      noise: { type: 'gaussian', mean: 128, sigma: 40 },
    },
  })
    .blur(1.2)
    .png()
    .toBuffer();
  const gradient = Buffer.alloc(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = (y * width + x) * 3;
      gradient[i] = (x * 255) / width;
      gradient[i + 1] = (y * 255) / height;
      gradient[i + 2] = 128;
    }
  }
  return sharp(gradient, { raw: { width, height, channels: 3 } })
    .composite([{ input: noise, blend: 'overlay' }])
    .png()
    .toBuffer();
}

/** The fixed profile with the search turned on, as QUALITY_TARGET=70 does. */
const DEFAULT_PROFILE: VariantProfile = {
  ...FIXED_PROFILE,
  webp: withTargetScore(SEARCH_WEBP, DEFAULT_TARGET_SCORE, {}),
  avif: withTargetScore(SEARCH_AVIF, DEFAULT_TARGET_SCORE, {}),
};

/** Checks every format's widest searched variant against the target, measured independently. */
async function expectTargetReached(input: Buffer, profile: VariantProfile) {
  const result = await processImage(input, profile, DEFAULT_DECODE_LIMITS);
  for (const format of profile.formats) {
    const target = profile[format].target;
    if (target === undefined) throw new Error('the profile has no target');
    const searched = result.variants
      .filter((v) => v.format === format && v.width <= target.searchMaxWidth)
      .at(-1);
    if (searched === undefined) throw new Error(`no ${format} variant`);
    const reference = new Ssimulacra2Reference(
      await rgbPixels(sharp(input).resize({ width: searched.width })),
    );
    const measured = reference.score(await rgbPixels(sharp(searched.data)));
    expect(measured, `${format} q${searched.quality}`).toBeGreaterThanOrEqual(target.score);
    expect(searched.score).toBeCloseTo(measured, 1);
    expect(searched.quality).toBeGreaterThanOrEqual(target.minQuality);
    expect(searched.quality).toBeLessThanOrEqual(target.maxQuality);
  }
  // Every variant up to the search width has its score, at the target: a narrower one that falls
  // short at the reference's quality gets a higher quality of its own, never a lower one.
  for (const variant of result.variants) {
    const target = profile[variant.format].target as NonNullable<EncoderSettings['target']>;
    const reference = result.variants
      .filter((v) => v.format === variant.format && v.width <= target.searchMaxWidth)
      .at(-1);
    expect(variant.score, `${variant.format}:${variant.width}`).toBeGreaterThanOrEqual(
      target.score,
    );
    expect(variant.quality).toBeGreaterThanOrEqual(reference?.quality ?? Number.POSITIVE_INFINITY);
  }
  return result;
}

describe('with a quality target, the profile searches each image quality to reach it', () => {
  let textured: Buffer;
  let smooth: Buffer;
  beforeAll(async () => {
    textured = await texturedImage(480, 320);
    smooth = await sharp({
      create: { width: 480, height: 320, channels: 3, background: '#4a7bb0' },
    })
      .composite([{ input: await texturedImage(120, 80), left: 180, top: 120 }])
      .png()
      .toBuffer();
  });

  it('reaches 70 on a textured image, in both formats', async () => {
    await expectTargetReached(textured, DEFAULT_PROFILE);
  });

  it('spends fewer bytes on an easy image than on a hard one of the same size', async () => {
    const hard = await expectTargetReached(textured, DEFAULT_PROFILE);
    const easy = await expectTargetReached(smooth, DEFAULT_PROFILE);
    const bytes = (r: typeof hard, f: string) =>
      r.variants.filter((v) => v.format === f).reduce((sum, v) => sum + v.bytes, 0);
    expect(bytes(easy, 'webp')).toBeLessThan(bytes(hard, 'webp'));
    expect(bytes(easy, 'avif')).toBeLessThan(bytes(hard, 'avif'));
  });

  it('reaches a stricter target with a higher quality', async () => {
    const strict: VariantProfile = {
      ...DEFAULT_PROFILE,
      formats: ['avif'],
      avif: {
        ...DEFAULT_PROFILE.avif,
        target: {
          ...(DEFAULT_PROFILE.avif.target as NonNullable<EncoderSettings['target']>),
          score: 80,
        },
      },
    };
    const normal = await expectTargetReached(textured, { ...DEFAULT_PROFILE, formats: ['avif'] });
    const high = await expectTargetReached(textured, strict);
    expect(high.variants[0]?.quality).toBeGreaterThan(normal.variants[0]?.quality as number);
  });

  it('keeps the fixed quality, with no score, in the default profile (no target)', async () => {
    expect(FIXED_PROFILE.webp.target).toBeUndefined();
    expect(FIXED_PROFILE.avif.target).toBeUndefined();
    const result = await processImage(textured, FIXED_PROFILE, DEFAULT_DECODE_LIMITS);
    for (const variant of result.variants) {
      expect(variant.quality).toBe(FIXED_PROFILE[variant.format].quality);
      expect(variant.score).toBeUndefined();
    }
  });

  it('gives identical bytes, qualities and scores for the same image twice, scored in-process or on worker threads', async () => {
    const first = await processImage(textured, DEFAULT_PROFILE, DEFAULT_DECODE_LIMITS);
    const pool = new ScorePool(1);
    const second = await processImage(
      textured,
      DEFAULT_PROFILE,
      DEFAULT_DECODE_LIMITS,
      pool,
    ).finally(() => pool.close());
    expect(second.variants).toHaveLength(first.variants.length);
    first.variants.forEach((variant, i) => {
      const other = second.variants[i];
      expect(other?.quality).toBe(variant.quality);
      expect(other?.score).toBe(variant.score);
      expect(other?.data.equals(variant.data)).toBe(true);
    });
  });

  it('makes unscored variants at the fixed quality from an image too small to score', async () => {
    const tiny = await sharp({ create: { width: 40, height: 6, channels: 3, background: '#c33' } })
      .png()
      .toBuffer();
    const result = await processImage(tiny, DEFAULT_PROFILE, DEFAULT_DECODE_LIMITS);
    expect(result.variants).toHaveLength(2);
    for (const variant of result.variants) {
      expect(variant.quality).toBe(DEFAULT_PROFILE[variant.format].quality);
      expect(variant.score).toBeUndefined();
    }
  });

  it('respects its encode budget: at most maxProbes + 1 encodes per format, then one per width', async () => {
    const pixels = (width: number) => rgbPixels(sharp(textured).resize({ width }));
    const encodes: { width: number; quality: number }[] = [];
    const target = DEFAULT_PROFILE.webp.target as NonNullable<EncoderSettings['target']>;
    const settings: EncoderSettings = {
      ...DEFAULT_PROFILE.webp,
      // A start far from the answer and a timid slope: convergence needs more encodes than allowed.
      target: { ...target, maxProbes: 2, startQuality: 30, slope: 5 },
    };
    const qualities = new VariantQualities(
      { webp: settings, avif: DEFAULT_PROFILE.avif },
      [320, 480],
      {
        encode: async (_format, width, s, quality) => {
          encodes.push({ width, quality });
          return sharp(textured)
            .resize({ width })
            .webp({ quality, effort: s.effort })
            .toBuffer({ resolveWithObject: true });
        },
        scorer: new VariantScorer(pixels, (data) => rgbPixels(sharp(data))),
      },
    );
    const widest = await qualities.variant('webp', 480);
    const searchEncodes = encodes.length;
    expect(searchEncodes).toBeGreaterThanOrEqual(2);
    expect(searchEncodes).toBeLessThanOrEqual(3);
    expect(encodes.every((e) => e.width === 480)).toBe(true);
    expect(widest.score).toBeGreaterThan(0);
    // A narrower width: one encode at the reference's quality, and a bounded search upward only
    // when that encode falls short of the target.
    const narrow = await qualities.variant('webp', 320);
    const narrowEncodes = encodes.length - searchEncodes;
    expect(narrowEncodes).toBeGreaterThanOrEqual(1);
    expect(narrowEncodes).toBeLessThanOrEqual(1 + 3);
    if (narrowEncodes === 1) expect(narrow.quality).toBe(widest.quality);
    else expect(narrow.quality).toBeGreaterThan(widest.quality);
  });
});

describe('a narrower variant below the target at the reference quality', () => {
  /**
   * Pure logic, with stand-ins: an "encode" is the text `width:quality`, and its score rises with
   * quality from a floor that is higher for narrower widths (the 480 px reference passes at q60,
   * the 320 px variant only at q70).
   */
  const passAt: Record<number, number> = { 480: 60, 320: 70 };
  const target = {
    ...(DEFAULT_PROFILE.webp.target as NonNullable<EncoderSettings['target']>),
    score: 70,
    startQuality: 50,
    slope: 1,
  };
  const settings: EncoderSettings = { ...DEFAULT_PROFILE.webp, target };
  const stand = (encodes: string[]) =>
    new VariantQualities({ webp: settings, avif: DEFAULT_PROFILE.avif }, [320, 480], {
      encode: async (_format, width, _s, quality) => {
        encodes.push(`${width}:${quality}`);
        const data = Buffer.from(`${width}:${quality}`);
        return { data, info: { width, height: width } };
      },
      scorer: new VariantScorer(
        async (width) => ({ data: Buffer.alloc(0), width, height: width, channels: 3 }),
        async (data) => ({ data, width: 0, height: 0, channels: 3 }),
        {
          prepare: async () => ({
            score: async ({ data }) => {
              const [width, quality] = data.toString().split(':').map(Number) as [number, number];
              return 70 + (quality - (passAt[width] as number));
            },
            release: () => undefined,
          }),
        },
      ),
    });

  it('gets the lowest passing quality of its own, searched upward, within the encode bound', async () => {
    const encodes: string[] = [];
    const qualities = stand(encodes);
    const widest = await qualities.variant('webp', 480);
    expect(widest).toMatchObject({ quality: 60, score: 70 });
    const searched = encodes.length;
    const narrow = await qualities.variant('webp', 320);
    expect(narrow).toMatchObject({ quality: 70, score: 70 });
    expect(narrow.data.toString()).toBe('320:70');
    // One encode at q60, then at most maxProbes + 1 more, never below q61.
    const narrowEncodes = encodes.slice(searched);
    expect(narrowEncodes[0]).toBe('320:60');
    expect(narrowEncodes.length).toBeLessThanOrEqual(1 + target.maxProbes + 1);
    for (const e of narrowEncodes.slice(1)) expect(Number(e.split(':')[1])).toBeGreaterThan(60);
  });
});

describe.runIf(existsSync(kodak))('on Kodak photos (IMAGE_FIXTURES)', () => {
  it.each(['kodim03.png', 'kodim13.png', 'kodim23.png'])(
    '%s reaches 70 in both formats',
    async (name) => {
      await expectTargetReached(readFileSync(join(kodak, name)), {
        ...DEFAULT_PROFILE,
        widths: [],
      });
    },
  );

  // The searched settings as they are (AVIF 10-bit, each format's own target), encodes counted.
  it.each(['kodim02.png', 'kodim13.png', 'kodim20.png'])(
    "%s reaches each format's own target within maxProbes + 1 encodes",
    async (name) => {
      const input = readFileSync(join(kodak, name));
      const { width = 0 } = await sharp(input).metadata();
      const encodes: Record<string, number> = { webp: 0, avif: 0 };
      const qualities = new VariantQualities({ webp: SEARCH_WEBP, avif: SEARCH_AVIF }, [width], {
        encode: async (format, w, s, quality) => {
          encodes[format] = (encodes[format] ?? 0) + 1;
          const image = sharp(input).resize({ width: w });
          return (
            format === 'webp'
              ? image.webp({ quality, effort: s.effort })
              : image.avif({
                  quality,
                  effort: s.effort,
                  chromaSubsampling: s.chromaSubsampling ?? '4:4:4',
                  bitdepth: s.bitdepth ?? 8,
                })
          ).toBuffer({ resolveWithObject: true });
        },
        scorer: new VariantScorer(
          () => rgbPixels(sharp(input)),
          (data) => rgbPixels(sharp(data)),
        ),
      });
      const reference = new Ssimulacra2Reference(await rgbPixels(sharp(input)));
      for (const format of ['webp', 'avif'] as const) {
        const target = (format === 'webp' ? SEARCH_WEBP : SEARCH_AVIF).target;
        if (target === undefined) throw new Error(`${format} has no target`);
        const variant = await qualities.variant(format, width);
        expect(
          reference.score(await rgbPixels(sharp(variant.data))),
          format,
        ).toBeGreaterThanOrEqual(target.score);
        expect(encodes[format], format).toBeLessThanOrEqual(target.maxProbes + 1);
      }
    },
  );
});
