import { z } from 'zod';
import { idSchema, productImageSchema } from './products.js';

/** One image's new state; `image: null` means the image was removed. `changeSeq` is the event id. */
export const imageChangeSchema = z.object({
  productId: idSchema,
  imageId: idSchema,
  changeSeq: z.number().int().nonnegative(),
  image: productImageSchema.nullable(),
});
export type ImageChange = z.infer<typeof imageChangeSchema>;

/** The last event id a client saw: a change sequence number, as tracked() sends it. */
export const lastEventIdSchema = z
  .string()
  .regex(/^\d{1,18}$/, { error: 'must be an event id sent by this API' });

export const onProductChangeInput = z.object({
  productId: idSchema,
  lastEventId: lastEventIdSchema.nullish(),
});
export type OnProductChangeInput = z.infer<typeof onProductChangeInput>;
