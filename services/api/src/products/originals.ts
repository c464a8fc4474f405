import { GetObjectCommand } from '@aws-sdk/client-s3';
import { AppError, idSchema } from '@zocket/contracts';
import { ensureUser, findProduct } from '@zocket/db';
import type { ApiContext } from '../api-context.js';
import type { Caller } from './products.service.js';

export interface OriginalObject {
  body: ReadableStream<Uint8Array>;
  contentType: string;
  bytes: number | undefined;
}

const notFound = (what: string) => new AppError('NOT_FOUND', `${what} not found`);

/**
 * The uploaded original of an image, for its owner only: originals keep the camera's metadata
 * (location, device) that the public variants strip, so they are never public. An image from a
 * URL has no stored original (its URL is in `source.url`).
 */
export async function readUploadedOriginal(
  ctx: ApiContext,
  caller: Caller,
  productId: string,
  imageId: string,
): Promise<OriginalObject> {
  if (!idSchema.safeParse(productId).success) throw notFound(`product ${productId}`);
  if (!idSchema.safeParse(imageId).success) throw notFound(`image ${imageId}`);
  const ownerId = await ensureUser(ctx.db, caller.user.subject, caller.user.name);
  const product = await findProduct(ctx.db, productId);
  if (product === undefined || product.ownerId !== ownerId) throw notFound(`product ${productId}`);
  const image = product.images.find((i) => i.id === imageId);
  if (image === undefined) throw notFound(`image ${imageId}`);
  if (image.source.kind !== 'upload') {
    throw new AppError('NOT_FOUND', `image ${imageId} came from a URL: its original is source.url`);
  }
  try {
    const object = await ctx.s3.send(
      new GetObjectCommand({ Bucket: ctx.config.s3.bucket, Key: image.source.key }),
    );
    if (object.Body === undefined) throw notFound(`the original of image ${imageId}`);
    return {
      body: object.Body.transformToWebStream(),
      contentType: object.ContentType ?? 'application/octet-stream',
      bytes: object.ContentLength,
    };
  } catch (error) {
    if ((error as { name?: string }).name === 'NoSuchKey') {
      throw notFound(`the original of image ${imageId}`);
    }
    throw new AppError('UNAVAILABLE', 'the object store cannot be reached', {
      cause: error,
      retryable: true,
    });
  }
}
