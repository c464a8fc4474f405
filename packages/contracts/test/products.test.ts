import { describe, expect, it } from 'vitest';
import { CACHE_ENTRY, cacheKeys } from '../src/cache-protocol.js';
import {
  compressedImageUrls,
  createProductInput,
  type ImageVariant,
  listProductsInput,
} from '../src/products.js';

const base = { name: 'Mug', price: { amountMinor: 1999, currency: 'EUR' } };

describe('createProductInput', () => {
  it('keeps 1999 minor units exactly and fills defaults', () => {
    expect(createProductInput.parse(base)).toEqual({
      ...base,
      description: '',
      imageUrls: [],
    });
  });

  it.each([
    [19.99, 'whole number'],
    [-1, 'negative'],
    ['1999', 'number'],
  ])('refuses the amount %j', (amountMinor, message) => {
    const result = createProductInput.safeParse({
      ...base,
      price: { amountMinor, currency: 'EUR' },
    });
    expect(result.success).toBe(false);
    expect(result.error?.issues[0]?.path).toEqual(['price', 'amountMinor']);
    expect(result.error?.issues[0]?.message).toContain(message);
  });

  it('refuses a currency that is not ISO 4217', () => {
    const result = createProductInput.safeParse({
      ...base,
      price: { amountMinor: 1, currency: 'XYZ' },
    });
    expect(result.success).toBe(false);
    expect(result.error?.issues[0]?.path).toEqual(['price', 'currency']);
  });

  it.each([
    'ftp://example.com/a.jpg',
    'javascript:alert(1)',
    '/relative.jpg',
    'https://user:pw@example.com/a.jpg',
    `https://example.com/${'a'.repeat(2100)}`,
  ])('refuses the image URL %s', (url) => {
    const result = createProductInput.safeParse({ ...base, imageUrls: [url] });
    expect(result.success).toBe(false);
    expect(result.error?.issues[0]?.path).toEqual(['imageUrls', 0]);
  });

  it('refuses more images than the limit', () => {
    const imageUrls = Array.from({ length: 21 }, (_, i) => `https://example.com/${i}.jpg`);
    expect(createProductInput.safeParse({ ...base, imageUrls }).success).toBe(false);
  });
});

describe('listProductsInput', () => {
  it('coerces query-string numbers and defaults the limit', () => {
    expect(listProductsInput.parse({ minPrice: '100', maxPrice: '200' })).toEqual({
      minPrice: 100,
      maxPrice: 200,
      limit: 20,
    });
  });

  it('refuses a limit over 100 and an inverted price range', () => {
    expect(listProductsInput.safeParse({ limit: 101 }).success).toBe(false);
    const inverted = listProductsInput.safeParse({ minPrice: 5, maxPrice: 1 });
    expect(inverted.error?.issues[0]?.message).toBe('minPrice must not exceed maxPrice');
  });
});

describe('compressedImageUrls', () => {
  const variant = (format: 'webp' | 'avif', width: number): ImageVariant => ({
    format,
    width,
    height: width,
    bytes: 1,
    key: `${format}-${width}`,
    url: `https://cdn/${format}-${width}`,
  });

  it('lists the widest, most efficient variant of each ready image in order', () => {
    const images = [
      {
        status: 'ready' as const,
        variants: [variant('webp', 320), variant('webp', 640), variant('avif', 640)],
      },
      { status: 'pending' as const, variants: [] },
      { status: 'ready' as const, variants: [variant('webp', 1280), variant('avif', 320)] },
    ];
    expect(compressedImageUrls(images)).toEqual(['https://cdn/avif-640', 'https://cdn/webp-1280']);
  });
});

describe('cacheKeys', () => {
  it('builds prefixed, versioned product keys', () => {
    expect(cacheKeys('t1').product('abc')).toBe('t1:product:v2:abc');
    expect(cacheKeys().product('abc')).toBe('zocket:product:v2:abc');
    expect(cacheKeys('t1').retiredProduct('abc')).toBe('t1:product:v1:abc');
  });
});

describe('CACHE_ENTRY', () => {
  const runId = Buffer.from('a'.repeat(40));
  const json = Buffer.from('{"id":"abc"}');

  it('gives the JSON of an entry stored by the given instance', () => {
    const entry = Buffer.concat([runId, json]);
    expect(CACHE_ENTRY.jsonOnRun(entry, runId)?.toString()).toBe('{"id":"abc"}');
  });

  it('refuses an entry of another instance, a bare JSON entry and an empty one', () => {
    expect(CACHE_ENTRY.jsonOnRun(Buffer.concat([Buffer.from('b'.repeat(40)), json]), runId)).toBe(
      undefined,
    );
    expect(CACHE_ENTRY.jsonOnRun(json, runId)).toBe(undefined);
    expect(CACHE_ENTRY.jsonOnRun(runId, runId)).toBe(undefined);
  });
});
