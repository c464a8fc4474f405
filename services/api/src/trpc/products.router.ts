import {
  createProductInput,
  idSchema,
  listProductsInput,
  productIdInput,
  productPageSchema,
  productSchema,
  updateProductInput,
} from '@zocket/contracts';
import { z } from 'zod';
import type { AuthUser } from '../auth/authenticator.js';
import {
  type Caller,
  createProduct,
  deleteProduct,
  filesFromForm,
  getProduct,
  listProducts,
  parseProductId,
  reprocessProduct,
  updateProduct,
  uploadImages,
} from '../products/products.service.js';
import { protectedProcedure, publicProcedure, router } from './trpc.js';

const caller = (ctx: { authUser: AuthUser; requestId: string }): Caller => ({
  user: ctx.authUser,
  requestId: ctx.requestId,
});

const TAGS = ['products'];
const bearer = { protect: true } as const;

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
    .mutation(({ ctx, input }) => createProduct(ctx.api, caller(ctx), input)),

  byId: publicProcedure
    .meta({
      openapi: {
        method: 'GET',
        path: '/products/{id}',
        tags: TAGS,
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
    .mutation(({ ctx, input }) => updateProduct(ctx.api, caller(ctx), input)),

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
      await deleteProduct(ctx.api, caller(ctx), input.id);
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
    .mutation(({ ctx, input }) => reprocessProduct(ctx.api, caller(ctx), input.id)),

  /** Multipart upload (fields `id` and `files`). REST: POST /products/{id}/images. */
  uploadImages: protectedProcedure
    .input(z.instanceof(FormData))
    .output(productSchema)
    .mutation(async ({ ctx, input }) => {
      const id = parseProductId(input.get('id'));
      return uploadImages(ctx.api, caller(ctx), id, await filesFromForm(input));
    }),
});
