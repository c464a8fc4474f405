import { describe, expect, it } from 'vitest';
import { imageSources, parseAspect, placeholderDataUrl } from '../src/index.js';
import { readyImage, variant } from './fixtures.js';

describe('imageSources', () => {
  it('lists AVIF and WebP srcsets by width, a mid-size WebP fallback and the intrinsic size', () => {
    const sources = imageSources(readyImage(), { sizes: '50vw' });
    expect(sources.avifSrcSet).toBe(
      'https://cdn.example/avif/320x240.avif 320w, https://cdn.example/avif/640x480.avif 640w, https://cdn.example/avif/1280x960.avif 1280w',
    );
    expect(sources.webpSrcSet).toContain('https://cdn.example/webp/640x480.webp 640w');
    expect(sources.src).toBe('https://cdn.example/webp/640x480.webp');
    expect(sources.sizes).toBe('50vw');
    expect([sources.width, sources.height]).toEqual([1280, 960]);
    expect(sources.cropped).toBe(false);
  });

  it('renders the thumbhash to a data: PNG, and gives none for a missing or broken one', () => {
    expect(imageSources(readyImage()).placeholder).toMatch(/^data:image\/png;base64,/);
    expect(placeholderDataUrl(null)).toBeUndefined();
    expect(placeholderDataUrl('%%%')).toBeUndefined();
  });

  it('uses the crop variants of the requested aspect when the image has them', () => {
    const image = readyImage([
      variant('avif', 640),
      variant('webp', 640),
      variant('avif', 400, { height: 400, crop: '1x1/attention' }),
      variant('webp', 400, { height: 400, crop: '1x1/attention' }),
      variant('avif', 600, { height: 338, crop: '16x9/attention' }),
    ]);
    const square = imageSources(image, { aspect: '1:1' });
    expect(square.cropped).toBe(true);
    expect(square.avifSrcSet).toBe('https://cdn.example/avif/400x400.avif 400w');
    expect([square.width, square.height]).toEqual([400, 400]);
    // Without an aspect, crops are never mixed into the full-frame srcset.
    expect(imageSources(image).avifSrcSet).toBe('https://cdn.example/avif/640x480.avif 640w');
  });

  it('falls back to the full frame in a box of the requested aspect when there is no such crop', () => {
    const sources = imageSources(readyImage(), { aspect: 1 });
    expect(sources.cropped).toBe(false);
    expect(sources.avifSrcSet).toContain('1280w');
    expect([sources.width, sources.height]).toEqual([1280, 1280]);
  });

  it('gives no src but keeps the box for an image not rendered yet', () => {
    const pending = { ...readyImage([]), status: 'pending' as const };
    const sources = imageSources(pending);
    expect(sources.src).toBeUndefined();
    expect(sources.avifSrcSet).toBe('');
    expect([sources.width, sources.height]).toEqual([2048, 1536]);
  });

  it('reads aspects as numbers or text and refuses nonsense', () => {
    expect(parseAspect('4:3')).toBeCloseTo(4 / 3);
    expect(parseAspect('16/9')).toBeCloseTo(16 / 9);
    expect(parseAspect(1.5)).toBe(1.5);
    expect(parseAspect('0:1')).toBeUndefined();
    expect(parseAspect(-1)).toBeUndefined();
  });
});
