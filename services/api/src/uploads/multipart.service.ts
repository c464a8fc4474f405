import { createHash } from 'node:crypto';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import {
  AppError,
  CONTENT_TYPE_BY_FORMAT,
  type ImageSource,
  idSchema,
  type Product,
  sniffImageFormat,
} from '@zocket/contracts';
import {
  appendProductImages,
  countProductImages,
  ensureUser,
  findProduct,
  touchProduct,
} from '@zocket/db';
import type { ApiContext } from '../api-context.js';
import { type Caller, checkImageRoom, notFound, writeOwned } from '../products/products.service.js';

export interface UploadedFile {
  name: string;
  bytes: Uint8Array;
}

/** A product id from a form field or path segment; 400 with a field error otherwise. */
export function parseProductId(value: unknown): string {
  const id = idSchema.safeParse(value);
  if (!id.success) {
    throw new AppError('VALIDATION_FAILED', 'invalid input', {
      fields: { id: ['must be a UUID'] },
    });
  }
  return id.data;
}

/** Reads the multipart form of an upload: `files` (one or more) and, for tRPC, `id`. */
export async function filesFromForm(form: FormData): Promise<UploadedFile[]> {
  const files: UploadedFile[] = [];
  for (const entry of form.getAll('files')) {
    if (typeof entry === 'string') {
      throw new AppError('VALIDATION_FAILED', 'files must be file parts', {
        fields: { files: ['must be file parts, not text fields'] },
      });
    }
    files.push({ name: entry.name || 'file', bytes: new Uint8Array(await entry.arrayBuffer()) });
  }
  return files;
}

/**
 * Stores each original in S3 under a content-addressed key, then records the images and their
 * jobs in one transaction. Types come from magic bytes only; limits are checked before any write.
 */
export async function uploadImages(
  ctx: ApiContext,
  caller: Caller,
  id: string,
  files: readonly UploadedFile[],
): Promise<Product> {
  const { maxFiles, maxFileBytes } = ctx.config.uploads;
  if (files.length === 0) {
    throw new AppError('VALIDATION_FAILED', 'no files', {
      fields: { files: ['at least one file'] },
    });
  }
  if (files.length > maxFiles) {
    throw new AppError('VALIDATION_FAILED', `at most ${maxFiles} files per request`, {
      fields: { files: [`at most ${maxFiles} files`] },
    });
  }
  const checked = files.map((file) => {
    if (file.bytes.length > maxFileBytes) {
      throw new AppError('PAYLOAD_TOO_LARGE', `${file.name} is larger than ${maxFileBytes} bytes`);
    }
    const format = sniffImageFormat(file.bytes);
    if (format === undefined) {
      throw new AppError(
        'UNSUPPORTED_MEDIA_TYPE',
        `${file.name} is not a jpeg, png, webp, avif, gif or tiff image`,
      );
    }
    return { file, format };
  });

  const ownerId = await ensureUser(ctx.db, caller.user.subject, caller.user.name);
  const existing = await findProduct(ctx.db, id);
  if (existing === undefined || existing.ownerId !== ownerId) throw notFound(id);
  // Checked before the originals go to S3, and again under the product's lock below.
  checkImageRoom(existing.images.length, files.length);

  const sources: ImageSource[] = [];
  for (const { file, format } of checked) {
    const hash = createHash('sha256').update(file.bytes).digest('hex');
    const key = `uploads/${id}/${hash}`;
    await ctx.s3.send(
      new PutObjectCommand({
        Bucket: ctx.config.s3.bucket,
        Key: key,
        Body: file.bytes,
        ContentType: CONTENT_TYPE_BY_FORMAT[format],
      }),
    );
    sources.push({ kind: 'upload', key });
  }

  return writeOwned(ctx, caller, ownerId, id, 'uploaded', async (trx) => {
    checkImageRoom(await countProductImages(trx, id), sources.length);
    const jobs = await appendProductImages(trx, id, sources);
    await touchProduct(trx, id);
    return jobs;
  });
}
