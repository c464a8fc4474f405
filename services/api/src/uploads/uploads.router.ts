import {
  completeUploadInput,
  createUploadInput,
  productSchema,
  uploadTicketSchema,
} from '@zocket/contracts';
import { z } from 'zod';
import { callerOf } from '../products/products.service.js';
import { protectedProcedure } from '../trpc/trpc.js';
import { filesFromForm, parseProductId, uploadImages } from './multipart.service.js';
import { completeUpload, createUpload } from './presigned.service.js';

const TAGS = ['products'];
const bearer = { protect: true } as const;

/**
 * The upload procedures, spread into the products router so their names stay
 * `products.createUpload`, `products.completeUpload` and `products.uploadImages`.
 */
export const uploadProcedures = {
  createUpload: protectedProcedure
    .meta({
      openapi: {
        method: 'POST',
        path: '/products/{productId}/uploads',
        tags: TAGS,
        ...bearer,
        summary: 'A presigned PUT URL for uploading one image straight to S3',
      },
    })
    .input(createUploadInput)
    .output(uploadTicketSchema)
    .mutation(({ ctx, input }) => createUpload(ctx.api, callerOf(ctx), input)),

  completeUpload: protectedProcedure
    .meta({
      openapi: {
        method: 'POST',
        path: '/uploads/{uploadId}/complete',
        tags: TAGS,
        ...bearer,
        summary: 'Checks an uploaded object and adds it as an image (safe to repeat)',
      },
    })
    .input(completeUploadInput)
    .output(productSchema)
    .mutation(({ ctx, input }) => completeUpload(ctx.api, callerOf(ctx), input)),

  /** Multipart upload (fields `id` and `files`). REST: POST /products/{id}/images. */
  uploadImages: protectedProcedure
    .input(z.instanceof(FormData))
    .output(productSchema)
    .mutation(async ({ ctx, input }) => {
      const id = parseProductId(input.get('id'));
      return uploadImages(ctx.api, callerOf(ctx), id, await filesFromForm(input));
    }),
};
