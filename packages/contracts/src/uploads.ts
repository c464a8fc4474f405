import { z } from 'zod';
import { CONTENT_TYPE_BY_FORMAT } from './image-formats.js';
import { idSchema } from './products.js';

/** Content types a presigned upload may declare (the sniffed formats the processor decodes). */
export const UPLOAD_CONTENT_TYPES = [...new Set(Object.values(CONTENT_TYPE_BY_FORMAT))] as [
  string,
  ...string[],
];

export const createUploadInput = z.object({
  productId: idSchema,
  contentType: z.enum(UPLOAD_CONTENT_TYPES, {
    error: `must be one of ${UPLOAD_CONTENT_TYPES.join(', ')}`,
  }),
  contentLength: z.number().int().positive(),
  /** Hex SHA-256 of the file; when given, completeUpload refuses an object with another hash. */
  sha256: z
    .string()
    .regex(/^[0-9a-f]{64}$/i, { error: 'must be 64 hex digits' })
    .optional(),
});
export type CreateUploadInput = z.infer<typeof createUploadInput>;

export const uploadTicketSchema = z.object({
  uploadId: idSchema,
  url: z.string(),
  method: z.literal('PUT'),
  /** Send exactly these headers with the PUT: they are part of the signature. */
  headers: z.record(z.string(), z.string()),
  expiresAt: z.string(),
});
export type UploadTicket = z.infer<typeof uploadTicketSchema>;

export const completeUploadInput = z.object({ uploadId: idSchema });
export type CompleteUploadInput = z.infer<typeof completeUploadInput>;
