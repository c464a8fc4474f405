import { z } from 'zod';
import { amountMinorSchema, currencySchema, MAX_AMOUNT_MINOR, moneySchema } from './money.js';

export const MAX_IMAGES_PER_PRODUCT = 20;
export const MAX_IMAGE_URL_LENGTH = 2048;
export const MAX_LIST_LIMIT = 100;
export const DEFAULT_LIST_LIMIT = 20;

export const idSchema = z.uuid({ error: 'must be a UUID' });

/** A UTF-16 surrogate that is not half of a pair: a `u` regex sees it as its own code point. */
const LONE_SURROGATE = /\p{Cs}/u;

/**
 * Text as PostgreSQL can store it: every text input starts here, since a NUL (U+0000) in a
 * `text` column fails the statement (SQLSTATE 22021), and a lone surrogate (JSON's `"\ud800"`)
 * has no UTF-8 form: the driver would store U+FFFD instead, silently changing the text.
 */
export const textSchema = () =>
  z
    .string()
    .refine((value) => !value.includes('\u0000'), {
      error: 'must not contain the NUL character (U+0000)',
    })
    .refine((value) => !LONE_SURROGATE.test(value), {
      error: 'must be valid Unicode (no lone surrogate such as \\ud800)',
    })
    // The NUL rule, for documents generated from the schema (a lone surrogate has no JSON form).
    .meta({ pattern: '^[^\\u0000]*$' });

/** A remote image address: absolute http(s) only, bounded length, no credentials. */
export const imageUrlSchema = textSchema()
  .max(MAX_IMAGE_URL_LENGTH, { error: `must be at most ${MAX_IMAGE_URL_LENGTH} characters` })
  .pipe(z.url({ protocol: /^https?$/, error: 'must be an absolute http or https URL' }))
  .refine(
    (value) => {
      if (!URL.canParse(value)) return true; // already reported by the URL check
      const url = new URL(value);
      return url.username === '' && url.password === '';
    },
    { error: 'must not contain credentials' },
  )
  // What JSON Schema can say of the checks above, so documents generated from it (OpenAPI) do not
  // describe any string as an image address.
  .meta({ format: 'uri', pattern: '^[Hh][Tt][Tt][Pp][Ss]?://[^\\s\\u0000]+$' });

const nameSchema = textSchema().trim().min(1, { error: 'must not be empty' }).max(200);
const descriptionSchema = textSchema().trim().max(5000);
const imageUrlsSchema = z
  .array(imageUrlSchema)
  .max(MAX_IMAGES_PER_PRODUCT, { error: `at most ${MAX_IMAGES_PER_PRODUCT} images` });

export const createProductInput = z.object({
  name: nameSchema,
  description: descriptionSchema.default(''),
  price: moneySchema,
  imageUrls: imageUrlsSchema.default([]),
});
export type CreateProductInput = z.infer<typeof createProductInput>;

export const updateProductInput = z.object({
  id: idSchema,
  /** The version the client last read; a different current version is a conflict. */
  expectedVersion: z.number().int().positive(),
  name: nameSchema.optional(),
  description: descriptionSchema.optional(),
  price: moneySchema.optional(),
  /** When present, replaces every image of the product. */
  imageUrls: imageUrlsSchema.optional(),
});
export type UpdateProductInput = z.infer<typeof updateProductInput>;

export const productIdInput = z.object({ id: idSchema });
export type ProductIdInput = z.infer<typeof productIdInput>;

/**
 * A number from a query string (the REST twin) or JSON: `z.coerce.number()` alone reads "" and
 * " " as 0, so `?maxPrice=` filtered to free products instead of being refused.
 */
const queryNumberSchema = () =>
  z.preprocess(
    (value) => (typeof value === 'string' && value.trim() === '' ? Number.NaN : value),
    z.coerce.number({ error: 'must be a number' }),
  );

/** An amount in minor units from a query string, documented as the integer range it accepts. */
const queryAmountSchema = () =>
  queryNumberSchema()
    .pipe(amountMinorSchema)
    .meta({ type: 'integer', minimum: 0, maximum: MAX_AMOUNT_MINOR });

export const listProductsInput = z
  .object({
    userId: idSchema.optional(),
    minPrice: queryAmountSchema().optional(),
    maxPrice: queryAmountSchema().optional(),
    currency: currencySchema.optional(),
    name: textSchema().trim().min(1).max(200).optional(),
    cursor: textSchema().max(200).optional(),
    limit: z.coerce.number().int().min(1).max(MAX_LIST_LIMIT).default(DEFAULT_LIST_LIMIT),
  })
  .refine((v) => v.minPrice === undefined || v.maxPrice === undefined || v.minPrice <= v.maxPrice, {
    error: 'minPrice must not exceed maxPrice',
    path: ['minPrice'],
  });
export type ListProductsInput = z.infer<typeof listProductsInput>;

export const IMAGE_STATUSES = ['pending', 'processing', 'ready', 'failed'] as const;
export const imageStatusSchema = z.enum(IMAGE_STATUSES);
export type ImageStatus = z.infer<typeof imageStatusSchema>;

export const IMAGE_FORMATS = ['webp', 'avif'] as const;
export const imageFormatSchema = z.enum(IMAGE_FORMATS);
export type ImageFormat = z.infer<typeof imageFormatSchema>;

export const imageSourceSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('url'), url: imageUrlSchema }),
  z.object({ kind: z.literal('upload'), key: z.string().min(1).max(1024) }),
]);
export type ImageSource = z.infer<typeof imageSourceSchema>;

export const imageVariantSchema = z.object({
  format: imageFormatSchema,
  width: z.number().int().positive(),
  height: z.number().int().positive(),
  bytes: z.number().int().nonnegative(),
  key: z.string(),
  url: z.string(),
  /** Encoder quality (1-100) used; absent on variants recorded before it was. */
  quality: z.number().int().min(1).max(100).optional(),
  /** SSIMULACRA2 score (100 = identical, 70 = high quality) at this width; only when searched. */
  score: z.number().max(100).optional(),
  /** A lossless WebP, kept because it was smaller than the lossy encode (few-colour images). */
  lossless: z.boolean().optional(),
  /** An aspect crop and its placement (`1x1/attention`, `1x1/f0.250-0.400`); absent on full frames. */
  crop: z.string().max(64).optional(),
});
export type ImageVariant = z.infer<typeof imageVariantSchema>;

export const productImageSchema = z.object({
  id: idSchema,
  position: z.number().int().nonnegative(),
  source: imageSourceSchema,
  status: imageStatusSchema,
  attempts: z.number().int().nonnegative(),
  failureReason: z.string().nullable(),
  width: z.number().int().positive().nullable(),
  height: z.number().int().positive().nullable(),
  bytes: z.number().int().nonnegative().nullable(),
  contentHash: z.string().nullable(),
  placeholder: z.string().nullable(),
  variants: z.array(imageVariantSchema),
  processedAt: z.iso.datetime().nullable(),
});
export type ProductImage = z.infer<typeof productImageSchema>;

export const productSchema = z.object({
  id: idSchema,
  ownerId: idSchema,
  name: z.string(),
  description: z.string(),
  price: moneySchema,
  version: z.number().int().positive(),
  createdAt: z.iso.datetime(),
  updatedAt: z.iso.datetime(),
  images: z.array(productImageSchema),
  /** The best variant URL of each ready image, in image order (the brief's flat list). */
  compressedProductImages: z.array(z.string()),
});
export type Product = z.infer<typeof productSchema>;

export const productPageSchema = z.object({
  items: z.array(productSchema),
  nextCursor: z.string().nullable(),
});
export type ProductPage = z.infer<typeof productPageSchema>;

const FORMAT_PREFERENCE: readonly ImageFormat[] = ['avif', 'webp'];

/** The best variant of an image: the widest, in the most efficient format available. */
export function bestVariantUrl(variants: readonly ImageVariant[]): string | undefined {
  let best: ImageVariant | undefined;
  for (const v of variants) {
    // Aspect crops show part of the image; the best variant is a full frame.
    if (v.crop !== undefined) continue;
    if (
      best === undefined ||
      v.width > best.width ||
      (v.width === best.width &&
        FORMAT_PREFERENCE.indexOf(v.format) < FORMAT_PREFERENCE.indexOf(best.format))
    ) {
      best = v;
    }
  }
  return best?.url;
}

/** The flat list of best variant URLs of the ready images, in position order. */
export function compressedImageUrls(images: readonly Pick<ProductImage, 'status' | 'variants'>[]) {
  const urls: string[] = [];
  for (const image of images) {
    if (image.status !== 'ready') continue;
    const url = bestVariantUrl(image.variants);
    if (url !== undefined) urls.push(url);
  }
  return urls;
}
