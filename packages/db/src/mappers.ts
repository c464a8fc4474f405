import {
  compressedImageUrls,
  type ImageSource,
  type Product,
  type ProductImage,
} from '@zocket/contracts';
import type { ProductImageRow } from './schema/product-images.table.js';
import type { ProductRow } from './schema/products.table.js';

/** int8 columns arrive as strings; every stored amount is bounded well inside 2^53. */
function toSafeNumber(value: string): number {
  const n = Number(value);
  if (!Number.isSafeInteger(n)) throw new RangeError(`int8 value ${value} is not a safe integer`);
  return n;
}

/** The image's source from its two columns (the inverse of how products.ts writes them). */
export function toImageSource(
  row: Pick<ProductImageRow, 'source_kind' | 'source_ref'>,
): ImageSource {
  return row.source_kind === 'url'
    ? { kind: 'url', url: row.source_ref }
    : { kind: 'upload', key: row.source_ref };
}

export function toProductImage(row: ProductImageRow): ProductImage {
  return {
    id: row.id,
    position: row.position,
    source: toImageSource(row),
    status: row.status,
    attempts: row.attempts,
    failureReason: row.last_error,
    width: row.source_width,
    height: row.source_height,
    bytes: row.source_bytes === null ? null : toSafeNumber(row.source_bytes),
    contentHash: row.content_hash,
    placeholder: row.placeholder,
    // A row not ready (replaced or failed) serves no variants.
    variants: row.status === 'ready' ? row.variants : [],
    processedAt: row.processed_at?.toISOString() ?? null,
  };
}

export function toProduct(row: ProductRow, imageRows: readonly ProductImageRow[]): Product {
  const images = [...imageRows].sort((a, b) => a.position - b.position).map(toProductImage);
  return {
    id: row.id,
    ownerId: row.owner_id,
    name: row.name,
    description: row.description,
    price: { amountMinor: toSafeNumber(row.price_minor), currency: row.currency },
    version: row.version,
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
    images,
    compressedProductImages: compressedImageUrls(images),
  };
}
