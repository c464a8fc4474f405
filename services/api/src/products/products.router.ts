import {
  createProductInput,
  idSchema,
  listProductsInput,
  onProductChangeInput,
  productIdInput,
  productPageSchema,
  productSchema,
  updateProductInput,
} from '@zocket/contracts';
import { z } from 'zod';
import { productChanges } from '../live/product-changes.js';
import { protectedProcedure, publicProcedure, router, withDomainErrors } from '../trpc/trpc.js';
import { uploadProcedures } from '../uploads/uploads.router.js';
import {
  callerOf,
  createProduct,
  deleteProduct,
  getProduct,
  listProducts,
  reprocessProduct,
  updateProduct,
} from './products.service.js';

const TAGS = ['products'];
const bearer = { protect: true } as const;
/** Reads need no token (one that is sent must be valid). */
const publicRead = { protect: false } as const;

export const productsRouter = router({
  create: protectedProcedure
    .meta({
      openapi: {
        method: 'POST',
        path: '/products',
        tags: TAGS,
        ...bearer,
        summary: 'Create a product; its images are processed asynchronously',
      },
    })
    .input(createProductInput)
    .output(productSchema)
    .mutation(({ ctx, input }) => createProduct(ctx.api, callerOf(ctx), input)),

  byId: publicProcedure
    .meta({
      openapi: {
        method: 'GET',
        path: '/products/{id}',
        tags: TAGS,
        ...publicRead,
        summary: 'A product with its images and compressedProductImages',
      },
    })
    .input(productIdInput)
    .output(productSchema)
    .query(({ ctx, input }) => getProduct(ctx.api, input.id)),

  list: publicProcedure
    .meta({
      openapi: {
        method: 'GET',
        path: '/products',
        tags: TAGS,
        ...publicRead,
        summary: 'Products newest first, filtered, cursor-paginated',
      },
    })
    .input(listProductsInput)
    .output(productPageSchema)
    .query(({ ctx, input }) => listProducts(ctx.api, input)),

  update: protectedProcedure
    .meta({
      openapi: {
        method: 'PATCH',
        path: '/products/{id}',
        tags: TAGS,
        ...bearer,
        summary: 'Partial update with optimistic concurrency (expectedVersion)',
      },
    })
    .input(updateProductInput)
    .output(productSchema)
    .mutation(({ ctx, input }) => updateProduct(ctx.api, callerOf(ctx), input)),

  delete: protectedProcedure
    .meta({
      openapi: {
        method: 'DELETE',
        path: '/products/{id}',
        tags: TAGS,
        ...bearer,
        summary: 'Delete a product and its images (hard delete)',
      },
    })
    .input(productIdInput)
    .output(z.object({ id: idSchema, deleted: z.literal(true) }))
    .mutation(async ({ ctx, input }) => {
      await deleteProduct(ctx.api, callerOf(ctx), input.id);
      return { id: input.id, deleted: true as const };
    }),

  reprocess: protectedProcedure
    .meta({
      openapi: {
        method: 'POST',
        path: '/products/{id}/reprocess',
        tags: TAGS,
        ...bearer,
        summary: 'Re-enqueue processing of every image of the product',
      },
    })
    .input(productIdInput)
    .output(productSchema)
    .mutation(({ ctx, input }) => reprocessProduct(ctx.api, callerOf(ctx), input.id)),

  /**
   * Live image status over SSE (httpSubscriptionLink): the current state of every image, then
   * each change, tracked by change sequence so a reconnect resumes after the last one. Public like
   * byId. No REST twin (OpenAPI has no subscriptions).
   */
  onChange: publicProcedure.input(onProductChangeInput).subscription(({ ctx, input, signal }) =>
    withDomainErrors(
      productChanges(
        ctx.api,
        {
          userKey:
            ctx.authUser === null ? `addr:${ctx.client.address}` : `user:${ctx.authUser.subject}`,
          connectionKey: `conn:${ctx.client.connection}`,
        },
        input,
        signal,
      ),
    ),
  ),

  ...uploadProcedures,
});
