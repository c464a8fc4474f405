import type { Product, ProductImage } from '@zocket/contracts';
import { describe, expect, it } from 'vitest';
import { overlayStreamed, withImage } from '../src/api/image-overlay';

const image = (id: string, position: number, status: ProductImage['status']): ProductImage => ({
  id,
  position,
  source: { kind: 'upload' } as unknown as ProductImage['source'],
  status,
  attempts: 1,
  failureReason: null,
  width: null,
  height: null,
  bytes: null,
  contentHash: null,
  placeholder: null,
  variants: [],
  processedAt: null,
});

const product = (images: ProductImage[]) => ({ id: 'p', images }) as unknown as Product;

describe('images from the stream over an older product', () => {
  it('keeps a streamed ready image when a late answer still says pending', () => {
    const late = product([image('a', 0, 'pending'), image('b', 1, 'pending')]);
    const streamed = new Map([['a', image('a', 0, 'ready')]]);
    expect(overlayStreamed(late, streamed).images.map((i) => i.status)).toEqual([
      'ready',
      'pending',
    ]);
  });

  it('adds an image the answer does not know yet, in position order, and drops a removed one', () => {
    const late = product([image('b', 1, 'ready'), image('c', 2, 'ready')]);
    const streamed = new Map<string, ProductImage | null>([
      ['a', image('a', 0, 'pending')],
      ['c', null],
    ]);
    expect(overlayStreamed(late, streamed).images.map((i) => i.id)).toEqual(['a', 'b']);
  });

  it('leaves the product alone when the stream reported nothing', () => {
    const p = product([image('a', 0, 'processing')]);
    expect(overlayStreamed(p, new Map())).toBe(p);
    expect(withImage(p, 'a', null).images).toEqual([]);
  });
});
