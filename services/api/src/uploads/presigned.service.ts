import { createHash, randomUUID } from 'node:crypto';
import { DeleteObjectCommand, GetObjectCommand, HeadObjectCommand } from '@aws-sdk/client-s3';
import {
  AppError,
  type CompleteUploadInput,
  type CreateUploadInput,
  type Product,
  sniffImageFormat,
  type UploadTicket,
} from '@zocket/contracts';
import {
  appendProductImages,
  countPendingUploads,
  countProductImages,
  ensureUser,
  findOwnedUpload,
  findProduct,
  insertUpload,
  markUploadCompleted,
  markUploadRejected,
  touchProduct,
} from '@zocket/db';
import type { ApiContext } from '../api-context.js';
import { type Caller, checkImageRoom, notFound, writeOwned } from '../products/products.service.js';

/** Bytes read to recognise the format by its magic bytes (when no sha256 asks for all of them). */
const SNIFF_BYTES = 4096;

function uploadNotFound(id: string): AppError {
  return new AppError('NOT_FOUND', `upload ${id} not found`);
}

function isNotFound(error: unknown): boolean {
  const e = error as { name?: string; $metadata?: { httpStatusCode?: number } };
  return e.name === 'NotFound' || e.name === 'NoSuchKey' || e.$metadata?.httpStatusCode === 404;
}

/** A presigned PUT for one image of a product the caller owns; type and length are signed. */
export async function createUpload(
  ctx: ApiContext,
  caller: Caller,
  input: CreateUploadInput,
): Promise<UploadTicket> {
  const { maxFileBytes, urlTtlSeconds, maxPendingPerUser } = ctx.config.uploads;
  if (input.contentLength > maxFileBytes) {
    throw new AppError('PAYLOAD_TOO_LARGE', `an image is at most ${maxFileBytes} bytes`);
  }
  const ownerId = await ensureUser(ctx.db, caller.user.subject, caller.user.name);
  const product = await findProduct(ctx.db, input.productId);
  if (product === undefined || product.ownerId !== ownerId) throw notFound(input.productId);
  checkImageRoom(product.images.length, 1);
  if ((await countPendingUploads(ctx.db, ownerId)) >= maxPendingPerUser) {
    throw new AppError(
      'TOO_MANY_REQUESTS',
      `at most ${maxPendingPerUser} uploads may wait for completion; complete or let them expire`,
    );
  }
  const uploadId = randomUUID();
  const key = `uploads/${input.productId}/direct/${uploadId}`;
  const expiresAt = new Date(Date.now() + urlTtlSeconds * 1000);
  const signed = await ctx.presigner.presignPut({
    key,
    contentType: input.contentType,
    contentLength: input.contentLength,
    expiresInSeconds: urlTtlSeconds,
  });
  await insertUpload(ctx.db, {
    id: uploadId,
    ownerId,
    productId: input.productId,
    objectKey: key,
    declaredType: input.contentType,
    declaredBytes: input.contentLength,
    declaredSha256: input.sha256?.toLowerCase() ?? null,
    expiresAt,
  });
  return {
    uploadId,
    url: signed.url,
    method: 'PUT',
    headers: signed.headers,
    expiresAt: expiresAt.toISOString(),
  };
}

async function readObject(ctx: ApiContext, key: string, all: boolean): Promise<Uint8Array> {
  const object = await ctx.s3.send(
    new GetObjectCommand({
      Bucket: ctx.config.s3.bucket,
      Key: key,
      ...(all ? {} : { Range: `bytes=0-${SNIFF_BYTES - 1}` }),
    }),
  );
  return (await object.Body?.transformToByteArray()) ?? new Uint8Array();
}

/** Refuses the object: removes it and marks the upload rejected, then throws `error`. */
async function reject(ctx: ApiContext, uploadId: string, key: string, error: AppError) {
  await ctx.s3.send(new DeleteObjectCommand({ Bucket: ctx.config.s3.bucket, Key: key }));
  await markUploadRejected(ctx.db, uploadId);
  throw error;
}

/**
 * Checks the uploaded object (size, magic bytes, hash when declared) and records it as an image
 * of the product with its job, in one transaction under the product's lock. Completing again
 * answers the product without adding anything.
 */
export async function completeUpload(
  ctx: ApiContext,
  caller: Caller,
  input: CompleteUploadInput,
): Promise<Product> {
  const ownerId = await ensureUser(ctx.db, caller.user.subject, caller.user.name);
  const upload = await findOwnedUpload(ctx.db, input.uploadId, ownerId);
  if (upload === undefined) throw uploadNotFound(input.uploadId);
  const productId = upload.product_id;
  if (upload.status === 'completed') {
    const product = await findProduct(ctx.db, productId);
    if (product === undefined) throw notFound(productId);
    return product;
  }
  if (upload.status === 'rejected') {
    throw new AppError('UNSUPPORTED_MEDIA_TYPE', 'the uploaded object was refused');
  }
  if (upload.status === 'expired') {
    throw new AppError('BAD_REQUEST', 'the upload expired before it was completed');
  }

  const key = upload.object_key;
  let size: number;
  try {
    const head = await ctx.s3.send(
      new HeadObjectCommand({ Bucket: ctx.config.s3.bucket, Key: key }),
    );
    size = head.ContentLength ?? 0;
  } catch (error) {
    if (isNotFound(error)) {
      throw new AppError('BAD_REQUEST', 'nothing was uploaded to this upload URL yet');
    }
    throw error;
  }
  if (size !== Number(upload.declared_bytes)) {
    await reject(
      ctx,
      upload.id,
      key,
      new AppError(
        'BAD_REQUEST',
        `the object has ${size} bytes, not the declared ${upload.declared_bytes}`,
      ),
    );
  }
  const bytes = await readObject(ctx, key, upload.declared_sha256 !== null);
  if (sniffImageFormat(bytes) === undefined) {
    await reject(
      ctx,
      upload.id,
      key,
      new AppError(
        'UNSUPPORTED_MEDIA_TYPE',
        'the upload is not a jpeg, png, webp, avif, gif or tiff image',
      ),
    );
  }
  if (
    upload.declared_sha256 !== null &&
    createHash('sha256').update(bytes).digest('hex') !== upload.declared_sha256
  ) {
    await reject(
      ctx,
      upload.id,
      key,
      new AppError('BAD_REQUEST', 'the object does not match the declared sha256'),
    );
  }

  return writeOwned(ctx, caller, ownerId, productId, 'uploaded', async (trx) => {
    // Locked after the product: a concurrent completion waits here, then finds it completed.
    const current = await findOwnedUpload(trx, upload.id, ownerId, { forUpdate: true });
    if (current?.status === 'completed') return [];
    if (current?.status !== 'pending') {
      throw new AppError('BAD_REQUEST', 'the upload expired before it was completed');
    }
    checkImageRoom(await countProductImages(trx, productId), 1);
    const jobs = await appendProductImages(trx, productId, [{ kind: 'upload', key }]);
    const imageId = jobs[0]?.imageId;
    if (imageId === undefined) throw new Error('no image row was inserted');
    await markUploadCompleted(trx, upload.id, imageId);
    await touchProduct(trx, productId);
    return jobs;
  });
}
