import {
  AppError,
  type CreateProductInput,
  type ImageJobEventV1,
  type ImageSource,
  type ListProductsInput,
  MAX_IMAGES_PER_PRODUCT,
  type Product,
  type ProductPage,
  type UpdateProductInput,
} from '@zocket/contracts';
import {
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

/** The caller of a procedure that required a token. */
export const callerOf = (ctx: { authUser: AuthUser; requestId: string }): Caller => ({
  user: ctx.authUser,
  requestId: ctx.requestId,
});

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
