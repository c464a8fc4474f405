import { createHash } from 'node:crypto';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import {
  AppError,
  CONTENT_TYPE_BY_FORMAT,
  type CreateProductInput,
  type ImageJobEventV1,
  type ImageSource,
  idSchema,
  type ListProductsInput,
  MAX_IMAGES_PER_PRODUCT,
  type Product,
  type ProductPage,
  sniffImageFormat,
  type UpdateProductInput,
} from '@zocket/contracts';
import {
  appendProductImages,
  countProductImages,
  type Db,
  decodeCursor,
  deleteProduct as deleteProductRow,
  ensureUser,
  findProduct,
  type ImageJobRef,
  insertOutboxMessages,
  insertProduct,
  listProducts as listProductRows,
  lockOwnedProduct,
  replaceProductImages,
  requeueProductImages,
  touchProduct,
  updateProductFields,
} from '@zocket/db';
import type { ApiContext } from '../api-context.js';
import type { AuthUser } from '../auth/authenticator.js';
import { checkImageUrls } from './image-url-policy.js';
import { imageJobMessages } from './outbox-messages.js';

/** Who is asking and under which request id (carried to Kafka as the correlation id). */
export interface Caller {
  user: AuthUser;
  requestId: string;
}

export function notFound(id: string): AppError {
  return new AppError('NOT_FOUND', `product ${id} not found`);
}

/**
 * The product as the write left it, read inside the write's transaction: the writer sees its own
 * write, and the version it gets back is the one its write produced, even if another writer or
 * the image processor commits right after it.
 */
async function written(trx: Db, id: string): Promise<Product> {
  const product = await findProduct(trx, id);
  if (product === undefined) throw notFound(id);
  return product;
}

/**
 * One write to a product the caller owns: locks it (404 when it is missing or someone else's),
 * runs `change`, queues the image jobs `change` returns in the same transaction, and answers with
 * the product as the write left it once its cached copy is cleared.
 */
export async function writeOwned(
  ctx: ApiContext,
  caller: Caller,
  ownerId: string,
  id: string,
  reason: ImageJobEventV1['reason'],
  change: (trx: Db, owned: { version: number }) => Promise<ImageJobRef[]>,
): Promise<Product> {
  const product = await ctx.db.transaction().execute(async (trx) => {
    const owned = await lockOwnedProduct(trx, id, ownerId);
    if (owned === undefined) throw notFound(id);
    const jobs = await change(trx, owned);
    await insertOutboxMessages(trx, imageJobMessages(jobs, reason, ctx.topics, caller.requestId));
    return written(trx, id);
  });
  await ctx.cache.invalidate(id);
  return product;
}

export async function createProduct(
  ctx: ApiContext,
  caller: Caller,
  input: CreateProductInput,
): Promise<Product> {
  checkImageUrls(input.imageUrls, ctx.imageUrlAllowlist);
  const ownerId = await ensureUser(ctx.db, caller.user.subject, caller.user.name);
  const { product } = await ctx.db.transaction().execute(async (trx) => {
    const created = await insertProduct(trx, {
      ownerId,
      name: input.name,
      description: input.description,
      price: input.price,
      images: input.imageUrls.map((url) => ({ kind: 'url', url })),
    });
    await insertOutboxMessages(
      trx,
      imageJobMessages(created.jobs, 'created', ctx.topics, caller.requestId),
    );
    return created;
  });
  return product;
}

export async function getProduct(ctx: ApiContext, id: string): Promise<Product> {
  const load = () => findProduct(ctx.db, id);
  const product = ctx.config.redis.cacheEnabled ? await ctx.cache.get(id, load) : await load();
  if (product === undefined) throw notFound(id);
  return product;
}

export async function listProducts(
  ctx: ApiContext,
  input: ListProductsInput,
): Promise<ProductPage> {
  const cursor = input.cursor === undefined ? undefined : decodeCursor(input.cursor);
  if (input.cursor !== undefined && cursor === undefined) {
    throw new AppError('VALIDATION_FAILED', 'invalid cursor', {
      fields: { cursor: ['is not a cursor returned by this API'] },
    });
  }
  return listProductRows(ctx.db, input, cursor);
}

export async function updateProduct(
  ctx: ApiContext,
  caller: Caller,
  input: UpdateProductInput,
): Promise<Product> {
  checkImageUrls(input.imageUrls, ctx.imageUrlAllowlist);
  const ownerId = await ensureUser(ctx.db, caller.user.subject, caller.user.name);
  return writeOwned(ctx, caller, ownerId, input.id, 'updated', async (trx, owned) => {
    if (owned.version !== input.expectedVersion) {
      throw new AppError(
        'CONFLICT',
        `product was changed: current version is ${owned.version}, not ${input.expectedVersion}`,
      );
    }
    // Locked at the expected version just above, so the guarded update cannot miss.
    await updateProductFields(trx, {
      id: input.id,
      ownerId,
      expectedVersion: input.expectedVersion,
      patch: {
        ...(input.name === undefined ? {} : { name: input.name }),
        ...(input.description === undefined ? {} : { description: input.description }),
        ...(input.price === undefined ? {} : { price: input.price }),
      },
    });
    if (input.imageUrls === undefined) return [];
    const sources: ImageSource[] = input.imageUrls.map((url) => ({ kind: 'url', url }));
    return replaceProductImages(trx, input.id, sources);
  });
}

export async function deleteProduct(ctx: ApiContext, caller: Caller, id: string): Promise<void> {
  const ownerId = await ensureUser(ctx.db, caller.user.subject, caller.user.name);
  const deleted = await deleteProductRow(ctx.db, id, ownerId);
  if (!deleted) throw notFound(id);
  await ctx.cache.invalidate(id);
}

export async function reprocessProduct(
  ctx: ApiContext,
  caller: Caller,
  id: string,
): Promise<Product> {
  const ownerId = await ensureUser(ctx.db, caller.user.subject, caller.user.name);
  return writeOwned(ctx, caller, ownerId, id, 'reprocess', (trx) => requeueProductImages(trx, id));
}

export function checkImageRoom(current: number, adding: number): void {
  if (current + adding > MAX_IMAGES_PER_PRODUCT) {
    throw new AppError(
      'VALIDATION_FAILED',
      `a product has at most ${MAX_IMAGES_PER_PRODUCT} images`,
      {
        fields: { files: [`at most ${Math.max(0, MAX_IMAGES_PER_PRODUCT - current)} more`] },
      },
    );
  }
}

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
