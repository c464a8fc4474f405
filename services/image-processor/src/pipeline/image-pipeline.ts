import { createHash } from 'node:crypto';
import {
  CONTENT_TYPE_BY_FORMAT,
  type ImageFormat,
  type SourceFormat,
  sniffImageFormat,
} from '@zocket/contracts';
import sharp, { type Metadata, type Sharp, type SharpOptions } from 'sharp';
import { rgbaToThumbHash } from 'thumbhash';
import { inProcessScoring, type Scoring } from '../quality/score-pool.js';
import type { RgbImage } from '../quality/ssimulacra2.js';
import {
  type EncodedVariant,
  type EncoderSettings,
  VariantQualities,
} from '../quality/variant-qualities.js';
import { VariantScorer } from '../quality/variant-scorer.js';
import {
  type AspectCrop,
  cropName,
  cropped,
  cropWidths,
  type FocalPoint,
  focalName,
} from './aspect-crops.js';
import { hasFewColours } from './few-colours.js';

export type { SourceFormat };
export type VariantFormat = ImageFormat;

export interface VariantProfile {
  /** Goes into S3 keys; bump it whenever the output for the same input would change. */
  version: string;
  widths: number[];
  /** The source width capped at this is always a variant too. */
  maxWidth: number;
  formats: VariantFormat[];
  /** Fixed settings, or with `target` a quality searched per image (see quality/). */
  webp: EncoderSettings;
  avif: EncoderSettings;
  /**
   * For images with few colours (scans, line art, logos, screenshots), also encode each WebP
   * variant losslessly and keep whichever is smaller.
   */
  webpLosslessWhenSmaller?: boolean;
  /** Aspect variants (e.g. 1:1 for product grids), at the formats' fixed qualities. */
  crops?: readonly AspectCrop[];
}

/**
 * Profile `v1`, kept so that catalogues rendered with it stay reproducible under its keys.
 * Measured on the 24 Kodak 768x512 PNGs, one libvips thread (sharp 0.35.5, libaom 3.15), per image:
 * - AVIF q50: effort 0 41 ms / 32.9 KiB / 32.8 dB PSNR; effort 2 ~200 ms / 31.9 KiB / 33.2 dB;
 *   effort 3 ~400 ms / 30.8 KiB / 33.4 dB; effort 4 ~1.5 s / 31.0 KiB / 33.6 dB. Effort 4 costs 7x
 *   effort 2 for 0.4 dB and no size gain, and a 2048 px variant has 7x the pixels of the Kodak
 *   images, so effort 2 is the knee. q50 (the libheif default) lands at ~0.67 bits per pixel.
 * - WebP q75: effort 2 18 ms / 53.0 KiB / 34.7 dB; effort 4 42 ms / 51.4 KiB / 35.0 dB;
 *   effort 6 100 ms / 48.6 KiB / 34.8 dB. Effort 4 (the libwebp default) is cheap beside AVIF;
 *   q75 is the usual photo setting (q80 costs +22% bytes for +1.3 dB).
 */
export const PROFILE_V1: VariantProfile = {
  version: 'v1',
  widths: [320, 640, 1280],
  maxWidth: 2048,
  formats: ['webp', 'avif'],
  webp: { quality: 75, effort: 4 },
  avif: { quality: 50, effort: 2 },
};

/**
 * Profile `v2`, the default ("fast pass"): per format at least as good as imgproxy's defaults
 * (WebP q79 effort 4, AVIF q63 effort 1 4:2:0) in minimum SSIMULACRA2, bytes and encode time on
 * the Kodak set; `npm run bench:quality` measures it (quality.fast.*). These are imgproxy's own
 * settings: every alternative measured (10-bit or lower-quality AVIF, WebP effort 3 or 5, sharp
 * YUV) lost on one of the three (docs/images.md).
 * QUALITY_TARGET turns on a per-image quality search (quality/default-settings.ts), which must come
 * with a profile version of its own.
 */
export const DEFAULT_PROFILE: VariantProfile = {
  version: 'v2',
  widths: [320, 640, 1280],
  maxWidth: 2048,
  formats: ['webp', 'avif'],
  webp: { quality: 79, effort: 4 },
  avif: { quality: 63, effort: 1, chromaSubsampling: '4:2:0' },
  webpLosslessWhenSmaller: true,
};

/** The profiles whose versions name fixed settings; any other version starts from the default. */
export const FIXED_PROFILES: Readonly<Record<string, VariantProfile>> = {
  v1: PROFILE_V1,
  v2: DEFAULT_PROFILE,
};

export interface DecodeLimits {
  /** Refuse sources whose declared width x height exceeds this, before decoding any pixel. */
  maxPixels: number;
  maxInputBytes?: number;
}

export const DEFAULT_DECODE_LIMITS: DecodeLimits = { maxPixels: 50_000_000 };

export interface VariantOutput {
  format: VariantFormat;
  width: number;
  height: number;
  bytes: number;
  contentType: string;
  data: Buffer;
  /** The encoder quality used (searched per image when the profile has a target). */
  quality: number;
  /** SSIMULACRA2 of this variant against its source pixels, when the quality was searched. */
  score?: number;
  /** A lossless WebP, stored because it was smaller than the lossy encode. */
  lossless?: true;
  /** An aspect crop: its aspect and placement, e.g. `1x1/attention` or `1x1/f0.250-0.400`. */
  crop?: string;
}

export interface ProcessedImage {
  /** Width and height are upright, i.e. after applying the EXIF orientation. */
  source: {
    format: SourceFormat;
    width: number;
    height: number;
    bytes: number;
    contentHash: string;
  };
  /** ThumbHash of the upright image, base64. */
  placeholder: string;
  /** Ordered by width, then by the profile's format order; aspect crops after, in profile order. */
  variants: VariantOutput[];
}

export type ImageErrorCode = 'UNSUPPORTED_FORMAT' | 'CORRUPT_IMAGE' | 'IMAGE_TOO_LARGE';

/** The source is not a usable image. Never retryable: the same bytes fail the same way. */
export class ImageError extends Error {
  override readonly name = 'ImageError';
  readonly code: ImageErrorCode;
  readonly retryable = false;

  constructor(code: ImageErrorCode, message: string, options: { cause?: unknown } = {}) {
    super(message, { cause: options.cause });
    this.code = code;
  }
}

/** The longest side each encoder accepts (libwebp: 16383 px; sharp's HEIF/AVIF writer: 16384). */
export const MAX_ENCODER_SIDE: Record<VariantFormat, number> = { webp: 16383, avif: 16384 };
const PLACEHOLDER_SIZE = 100;

/** Identifies a source by its magic bytes (see contracts); SVG is named so it can be refused clearly. */
export function sniffFormat(buf: Buffer): SourceFormat | 'svg' | undefined {
  const format = sniffImageFormat(buf);
  if (format !== undefined) return format;
  const text = textHead(buf).trimStart();
  // Markup with an <svg> root near the top; XML prologs, comments and doctypes may come first.
  if (text.startsWith('<') && /<svg[\s>/]/i.test(text)) return 'svg';
  return undefined;
}

function textHead(buf: Buffer): string {
  const head = buf.subarray(0, 1024).toString('utf8');
  return head.startsWith('\uFEFF') ? head.slice(1) : head;
}

function describeUnknown(buf: Buffer): string {
  if (buf.length === 0) return 'unsupported format: the source is empty';
  const text = textHead(buf).trimStart().toLowerCase();
  if (
    text.startsWith('<!doctype html') ||
    text.startsWith('<html') ||
    /<(head|body)[\s>]/.test(text)
  ) {
    return 'unsupported format: the source is an HTML page, not an image';
  }
  if (text.startsWith('<')) return 'unsupported format: the source is markup, not an image';
  return 'unsupported format: not a JPEG, PNG, WebP, AVIF, GIF or TIFF image';
}

/** Variant widths for a source: never upscaled, always including min(sourceWidth, maxWidth). */
export function variantWidths(sourceWidth: number, profile: VariantProfile): number[] {
  const cap = Math.floor(Math.min(sourceWidth, profile.maxWidth));
  if (!(cap >= 1)) return [];
  const widths = profile.widths.filter(
    (width) => Number.isInteger(width) && width > 0 && width <= cap,
  );
  return [...new Set([...widths, cap])].sort((a, b) => a - b);
}

/**
 * The widest a `width` x `height` image can be scaled to, without upscaling, so that neither side
 * exceeds `maxSide` (0 when even a 1 px wide version would be too tall).
 */
export function fitWidth(width: number, height: number, maxSide: number): number {
  return Math.min(width, maxSide, Math.floor((maxSide * width) / height));
}

/**
 * Decodes an untrusted source once and encodes the profile's variants. Output bytes are identical
 * for identical input, profile and sharp.concurrency(), with or without a quality search (it is
 * bounded by a number of encodes, never by time); AVIF bytes change with the thread count
 * (libaom splits work by threads), so instances writing the same S3 keys should share a setting.
 * Refuses what is not a supported image (ImageError) before a decoder that would accept it (SVG)
 * ever sees the bytes.
 */
export async function processImage(
  input: Buffer,
  profile: VariantProfile,
  limits: DecodeLimits,
  /** Where a quality search's scores run: a ScorePool in a service, in-process by default. */
  scoring: Scoring = inProcessScoring,
  /** The seller's focal point for aspect crops; libvips' attention strategy without one. */
  focalPoint?: FocalPoint,
): Promise<ProcessedImage> {
  if (limits.maxInputBytes !== undefined && input.length > limits.maxInputBytes) {
    throw new ImageError(
      'IMAGE_TOO_LARGE',
      `source is ${input.length} bytes, over the ${limits.maxInputBytes} byte limit`,
    );
  }
  const sniffed = sniffFormat(input);
  if (sniffed === 'svg')
    throw new ImageError('UNSUPPORTED_FORMAT', 'unsupported format: SVG images are not accepted');
  if (sniffed === undefined) throw new ImageError('UNSUPPORTED_FORMAT', describeUnknown(input));

  const inputOptions: SharpOptions = {
    limitInputPixels: limits.maxPixels,
    failOn: 'warning',
    // First frame (or the primary item of a HEIF container) only; variants are stills.
    pages: 1,
  };
  const metadata = await readMetadata(input, inputOptions, sniffed);
  const upright = metadata.autoOrient;
  // sharp already applies limitInputPixels, but checking here gives the error a readable message.
  if (metadata.width * metadata.height > limits.maxPixels) {
    throw new ImageError(
      'IMAGE_TOO_LARGE',
      `image is ${metadata.width}x${metadata.height}, over the ${limits.maxPixels} pixel limit`,
    );
  }

  // Decode once, upright, into 8-bit sRGB (CMYK and 16-bit sources included) no wider than the
  // largest variant; every variant is resized from this buffer. Raw pixels carry no metadata, so
  // nothing from the source (EXIF, GPS, XMP, ICC) can reach an output.
  const base = await decode(
    sharp(input, inputOptions)
      .autoOrient()
      .resize({ width: profile.maxWidth, withoutEnlargement: true })
      .toColourspace('srgb')
      .raw({ depth: 'uchar' }),
    sniffed,
  );
  const rawInput = {
    raw: { width: base.info.width, height: base.info.height, channels: base.info.channels },
  };
  const fromBase = () => sharp(base.data, rawInput);

  // A tall source (a long banner, a page scan) would make variants taller than an encoder accepts:
  // the widest variant is narrowed until its height fits every encoder of the profile.
  const maxSide = Math.min(...profile.formats.map((format) => MAX_ENCODER_SIDE[format]));
  const widest = fitWidth(base.info.width, base.info.height, maxSide);
  if (widest < 1) {
    throw new ImageError(
      'IMAGE_TOO_LARGE',
      `image is ${upright.width}x${upright.height}: too tall for any variant to fit the encoders' ${maxSide} px limit`,
    );
  }

  const placeholder = await makePlaceholder(fromBase());
  // The colour count stops early on a photo, so only few-colour images pay for a second encode.
  const tryLossless =
    profile.webpLosslessWhenSmaller === true &&
    profile.formats.includes('webp') &&
    hasFewColours(base.data, base.info.channels);
  const widths = variantWidths(widest, profile);
  const resized = (width: number) => fromBase().resize({ width, withoutEnlargement: true });
  const scorer = new VariantScorer(
    (width) => rgbPixels(resized(width)),
    (data) => rgbPixels(sharp(data)),
    scoring,
  );
  const qualities = new VariantQualities(profile, widths, {
    encode: (format, width, settings, quality) =>
      encode(encoder(resized(width), format, settings, quality), sniffed, format),
    scorer,
  });
  const variants: VariantOutput[] = [];
  try {
    // Sequential on purpose: one image never holds more than one encoder's buffers, and
    // parallelism is chosen by the caller (jobs in flight x sharp.concurrency()).
    for (const width of widths) {
      for (const format of profile.formats) {
        const { data, info, quality, score }: EncodedVariant = await qualities.variant(
          format,
          width,
        );
        const lossless =
          format === 'webp' && tryLossless
            ? await encode(
                resized(width).webp({ lossless: true, effort: profile.webp.effort }),
                sniffed,
                format,
              )
            : undefined;
        if (lossless !== undefined && lossless.data.length < data.length) {
          variants.push({
            format,
            width: lossless.info.width,
            height: lossless.info.height,
            bytes: lossless.data.length,
            contentType: CONTENT_TYPE_BY_FORMAT[format],
            data: lossless.data,
            quality,
            lossless: true,
          });
          continue;
        }
        variants.push({
          format,
          width: info.width,
          height: info.height,
          bytes: data.length,
          contentType: CONTENT_TYPE_BY_FORMAT[format],
          data,
          quality,
          ...(score === undefined ? {} : { score: Math.round(score * 100) / 100 }),
        });
      }
    }
  } finally {
    await scorer.close();
  }
  variants.push(...(await cropVariants(fromBase, base.info, profile, sniffed, focalPoint)));

  return {
    source: {
      format: sniffed,
      width: upright.width,
      height: upright.height,
      bytes: input.length,
      contentHash: createHash('sha256').update(input).digest('hex'),
    },
    placeholder,
    variants,
  };
}

/** The profile's aspect crops of the decoded image, each format at its fixed quality. */
async function cropVariants(
  fromBase: () => Sharp,
  size: { width: number; height: number },
  profile: VariantProfile,
  sniffed: SourceFormat,
  focalPoint: FocalPoint | undefined,
): Promise<VariantOutput[]> {
  const out: VariantOutput[] = [];
  for (const crop of profile.crops ?? []) {
    const name = `${cropName(crop)}/${focalName(focalPoint)}`;
    for (const width of cropWidths(crop, size.width, size.height)) {
      for (const format of profile.formats) {
        const settings = profile[format];
        const image = cropped(fromBase(), size, crop, width, focalPoint);
        const { data, info } = await encode(
          encoder(image, format, settings, settings.quality),
          sniffed,
          format,
        );
        out.push({
          format,
          width: info.width,
          height: info.height,
          bytes: data.length,
          contentType: CONTENT_TYPE_BY_FORMAT[format],
          data,
          quality: settings.quality,
          crop: name,
        });
      }
    }
  }
  return out;
}

/** sharp's names for the formats we accept; AVIF is read by the HEIF loader. */
const SHARP_FORMAT: Record<SourceFormat, string> = {
  jpeg: 'jpeg',
  png: 'png',
  webp: 'webp',
  avif: 'heif',
  gif: 'gif',
  tiff: 'tiff',
};

async function readMetadata(
  input: Buffer,
  options: SharpOptions,
  sniffed: SourceFormat,
): Promise<Metadata & { width: number; height: number }> {
  let metadata: Metadata;
  try {
    metadata = await sharp(input, options).metadata();
  } catch (error) {
    throw translateSharpError(error, sniffed);
  }
  if (metadata.format !== SHARP_FORMAT[sniffed]) {
    throw new ImageError(
      'CORRUPT_IMAGE',
      `corrupt ${sniffed} image: the decoder read it as ${metadata.format ?? 'an unknown format'}`,
    );
  }
  if (sniffed === 'avif' && metadata.compression !== 'av1') {
    throw new ImageError(
      'UNSUPPORTED_FORMAT',
      'unsupported format: HEIF container without AV1 image',
    );
  }
  const { width, height } = metadata;
  if (width === undefined || height === undefined || width < 1 || height < 1) {
    throw new ImageError('CORRUPT_IMAGE', `corrupt ${sniffed} image: no dimensions`);
  }
  return { ...metadata, width, height };
}

async function decode(pipeline: Sharp, sniffed: SourceFormat) {
  try {
    return await pipeline.toBuffer({ resolveWithObject: true });
  } catch (error) {
    throw translateSharpError(error, sniffed);
  }
}

function encoder(
  image: Sharp,
  format: VariantFormat,
  settings: EncoderSettings,
  quality: number,
): Sharp {
  const { effort, chromaSubsampling, smartSubsample, bitdepth } = settings;
  return format === 'webp'
    ? image.webp({ quality, effort, ...(smartSubsample && { smartSubsample }) })
    : image.avif({
        quality,
        effort,
        ...(chromaSubsampling && { chromaSubsampling }),
        ...(bitdepth && { bitdepth }),
      });
}

/** The 8-bit RGB pixels of an image, as SSIMULACRA2 reads them (alpha dropped). */
export async function rgbPixels(image: Sharp): Promise<RgbImage> {
  const { data, info } = await image.removeAlpha().raw().toBuffer({ resolveWithObject: true });
  return { data, width: info.width, height: info.height, channels: info.channels };
}

async function encode(pipeline: Sharp, sniffed: SourceFormat, format: VariantFormat) {
  try {
    return await pipeline.toBuffer({ resolveWithObject: true });
  } catch (error) {
    throw translateSharpError(error, sniffed, format);
  }
}

async function makePlaceholder(image: Sharp): Promise<string> {
  const { data, info } = await image
    .resize(PLACEHOLDER_SIZE, PLACEHOLDER_SIZE, { fit: 'inside', withoutEnlargement: true })
    .ensureAlpha()
    .raw()
    .toBuffer({ resolveWithObject: true });
  return Buffer.from(rgbaToThumbHash(info.width, info.height, data)).toString('base64');
}

/**
 * Turns a sharp error into a permanent ImageError: the same bytes fail the same way. `encoding` is
 * the variant format when the error came from an encoder rather than the decoder.
 */
function translateSharpError(
  error: unknown,
  sniffed: SourceFormat,
  encoding?: VariantFormat,
): ImageError {
  const message = error instanceof Error ? error.message : String(error);
  // libvips messages can run to many repeated lines; the first one says what went wrong.
  const detail = (message.split('\n')[0] ?? '').slice(0, 200);
  const stage = encoding === undefined ? 'decode' : `encode as ${encoding}`;
  if (/exceeds pixel limit|too large|image too big/i.test(message)) {
    const reason = `${sniffed} image is too large to ${stage}: ${detail}`;
    return new ImageError('IMAGE_TOO_LARGE', reason, { cause: error });
  }
  if (encoding !== undefined) {
    // The source decoded, so it is not corrupt; the output format cannot hold it, and a retry
    // would fail the same way.
    const reason = `${sniffed} image could not be encoded as ${encoding}: ${detail}`;
    return new ImageError('UNSUPPORTED_FORMAT', reason, { cause: error });
  }
  if (/unsupported image format/i.test(message)) {
    return new ImageError('UNSUPPORTED_FORMAT', `unsupported ${sniffed} variant: ${detail}`, {
      cause: error,
    });
  }
  return new ImageError('CORRUPT_IMAGE', `corrupt or truncated ${sniffed} image: ${detail}`, {
    cause: error,
  });
}
