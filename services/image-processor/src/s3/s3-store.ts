import { GetObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type { ImageVariant } from '@zocket/contracts';
import { FetchError } from '../fetch/safe-fetch.js';
import { SourceMissingError } from '../jobs/failure-policy.js';
import type { VariantOutput } from '../pipeline/image-pipeline.js';

export interface StoreConfig {
  bucket: string;
  publicBaseUrl: string;
  publicReadAcl: boolean;
}

/** Deterministic, content-addressed: the same source and profile always give the same key. */
export function variantKey(
  profileVersion: string,
  contentHash: string,
  variant: Pick<VariantOutput, 'width' | 'format' | 'crop'>,
): string {
  // A crop's key names its aspect and placement, so a new focal point never overwrites a key
  // that was served as immutable, and the plain widths' keys stay as they were.
  const crop = variant.crop === undefined ? '' : `crop-${variant.crop}/`;
  return `variants/${profileVersion}/${contentHash}/${crop}${variant.width}.${variant.format}`;
}

/** Reads an uploaded original, at most `maxBytes`. */
export async function getSourceObject(
  s3: S3Client,
  config: StoreConfig,
  key: string,
  maxBytes: number,
  signal?: AbortSignal,
): Promise<Buffer> {
  try {
    const object = await s3.send(new GetObjectCommand({ Bucket: config.bucket, Key: key }), {
      ...(signal === undefined ? {} : { abortSignal: signal }),
    });
    if ((object.ContentLength ?? 0) > maxBytes) {
      throw new FetchError(
        'SOURCE_TOO_LARGE',
        `uploaded original ${key} is larger than ${maxBytes} bytes`,
      );
    }
    const bytes = await object.Body?.transformToByteArray();
    if (bytes === undefined) throw new SourceMissingError(`uploaded original ${key} is empty`);
    return Buffer.from(bytes);
  } catch (error) {
    const name = (error as { name?: string } | null)?.name;
    if (name === 'NoSuchKey' || name === 'NotFound') {
      throw new SourceMissingError(`uploaded original ${key} does not exist`);
    }
    throw error;
  }
}

/** Writes the variants (overwriting is harmless: same key, same bytes) and describes them. */
export async function putVariants(
  s3: S3Client,
  config: StoreConfig,
  profileVersion: string,
  contentHash: string,
  variants: readonly VariantOutput[],
): Promise<ImageVariant[]> {
  return Promise.all(
    variants.map(async (variant) => {
      const key = variantKey(profileVersion, contentHash, variant);
      await s3.send(
        new PutObjectCommand({
          Bucket: config.bucket,
          Key: key,
          Body: variant.data,
          ContentType: variant.contentType,
          CacheControl: 'public, max-age=31536000, immutable',
          ...(config.publicReadAcl ? { ACL: 'public-read' as const } : {}),
        }),
      );
      return {
        format: variant.format,
        width: variant.width,
        height: variant.height,
        bytes: variant.bytes,
        key,
        url: `${config.publicBaseUrl}/${key}`,
        quality: variant.quality,
        ...(variant.score === undefined ? {} : { score: variant.score }),
        ...(variant.lossless === undefined ? {} : { lossless: variant.lossless }),
        ...(variant.crop === undefined ? {} : { crop: variant.crop }),
      };
    }),
  );
}

/** Where the original of a URL source is kept, by content: fetched once, re-rendered from S3. */
export function originalKey(contentHash: string): string {
  return `originals/${contentHash}`;
}

/** Keeps a fetched original (never public); the same bytes always land on the same key. */
export async function putOriginal(
  s3: S3Client,
  config: StoreConfig,
  contentHash: string,
  bytes: Buffer,
  signal?: AbortSignal,
): Promise<void> {
  await s3.send(
    new PutObjectCommand({ Bucket: config.bucket, Key: originalKey(contentHash), Body: bytes }),
    signal === undefined ? {} : { abortSignal: signal },
  );
}

/** A kept original, or undefined when it is not (or no longer) stored. */
export async function getOriginal(
  s3: S3Client,
  config: StoreConfig,
  contentHash: string,
  maxBytes: number,
  signal?: AbortSignal,
): Promise<Buffer | undefined> {
  try {
    return await getSourceObject(s3, config, originalKey(contentHash), maxBytes, signal);
  } catch (error) {
    if (error instanceof SourceMissingError) return undefined;
    throw error;
  }
}
