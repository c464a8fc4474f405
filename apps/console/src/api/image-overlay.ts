import type { Product, ProductImage } from '@zocket/contracts';

/** Each image's latest state from the stream; `null`: removed. */
export type StreamedImages = Map<string, ProductImage | null>;

export function withImage(product: Product, imageId: string, image: ProductImage | null): Product {
  const others = product.images.filter((i) => i.id !== imageId);
  const images =
    image === null ? others : [...others, image].sort((a, b) => a.position - b.position);
  return { ...product, images };
}

/**
 * The product with every image the stream reported in its streamed state. A product from a
 * mutation's answer or a refetch may be older than the stream (a reprocess answered after the
 * processor already finished), and must not put a ready image back to pending.
 */
export function overlayStreamed(product: Product, streamed: StreamedImages): Product {
  let result = product;
  for (const [imageId, image] of streamed) result = withImage(result, imageId, image);
  return result;
}
