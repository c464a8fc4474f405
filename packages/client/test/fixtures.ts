import type { ImageVariant, ProductImage } from '@zocket/contracts';
import { rgbaToThumbHash } from 'thumbhash';

/** The thumbhash of a small gradient, base64 as the processor stores it. */
function gradientThumbhash(): string {
  const size = 16;
  const rgba = new Uint8Array(size * size * 4);
  for (let i = 0; i < size * size; i += 1) {
    rgba.set([(i % size) * 16, Math.floor(i / size) * 16, 128, 255], i * 4);
  }
  return Buffer.from(rgbaToThumbHash(size, size, rgba)).toString('base64');
}

/** A variant as the processor records it, 4:3 unless told. */
export function variant(
  format: ImageVariant['format'],
  width: number,
  extra: Partial<ImageVariant> & { crop?: unknown } = {},
): ImageVariant {
  const height = extra.height ?? Math.round((width * 3) / 4);
  return {
    format,
    width,
    height,
    bytes: width * 10,
    key: `k/${format}/${width}x${height}`,
    url: `https://cdn.example/${format}/${width}x${height}.${format}`,
    ...extra,
  };
}

/** A ready image with AVIF and WebP at 320, 640 and 1280 px and a real thumbhash. */
export function readyImage(variants?: ImageVariant[]): ProductImage {
  return {
    id: '00000000-0000-4000-8000-000000000001',
    position: 0,
    source: { kind: 'url', url: 'https://example.com/a.jpg' },
    status: 'ready',
    attempts: 1,
    failureReason: null,
    width: 2048,
    height: 1536,
    bytes: 900_000,
    contentHash: null,
    placeholder: gradientThumbhash(),
    variants:
      variants ??
      (['avif', 'webp'] as const).flatMap((format) =>
        [1280, 320, 640].map((width) => variant(format, width)),
      ),
    processedAt: '2026-12-07T10:00:00.000Z',
  };
}
