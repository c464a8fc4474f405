import { describe, expect, it } from 'vitest';
import {
  MetricInputError,
  Ssimulacra2Reference,
  ssimulacra2,
} from '../../src/quality/ssimulacra2.js';
import { boxBlur, dither, pattern, posterize } from './synthetic-images.js';

describe('ssimulacra2', () => {
  const reference = pattern(256, 192);

  // Scores of the same pairs (written as PNG) by the crates.io `ssimulacra2_rs` 0.5.2 CLI.
  it.each([
    ['a 3x3 box blur', boxBlur(reference), 46.50525844],
    ['posterized to steps of 16', posterize(reference, 16), 73.08317266],
    ['posterized to steps of 6', posterize(reference, 6), 90.87546163],
    ['a +/-4 checkerboard dither', dither(reference, 4), 87.86115541],
  ])('agrees with the reference implementation on %s', (_, distorted, expected) => {
    expect(Math.abs(ssimulacra2(reference, distorted) - expected)).toBeLessThan(0.2);
  });

  it('agrees on an image too small for all six scales (37x23)', () => {
    const small = pattern(37, 23);
    expect(Math.abs(ssimulacra2(small, boxBlur(small)) - 62.21103485)).toBeLessThan(0.2);
  });

  it('scores an identical image 100', () => {
    expect(ssimulacra2(reference, reference)).toBeCloseTo(100, 6);
  });

  it('scores a stronger distortion lower', () => {
    const mild = ssimulacra2(reference, posterize(reference, 6));
    const strong = ssimulacra2(reference, posterize(reference, 24));
    expect(strong).toBeLessThan(mild);
  });

  it('gives the same score from a prepared reference, however often it is used', () => {
    const prepared = new Ssimulacra2Reference(reference);
    const blurred = boxBlur(reference);
    const first = prepared.score(blurred);
    prepared.score(dither(reference, 4));
    expect(prepared.score(blurred)).toBe(first);
    expect(first).toBe(ssimulacra2(reference, blurred));
  });

  it('ignores a fourth (alpha) channel', () => {
    const rgba = new Uint8Array(256 * 192 * 4);
    for (let i = 0; i < 256 * 192; i++) {
      rgba.set(reference.data.subarray(i * 3, i * 3 + 3), i * 4);
      rgba[i * 4 + 3] = i % 256;
    }
    const score = ssimulacra2({ ...reference, data: rgba, channels: 4 }, boxBlur(reference));
    expect(score).toBe(ssimulacra2(reference, boxBlur(reference)));
  });

  it('refuses images under 8 px on a side and images of different sizes', () => {
    expect(() => ssimulacra2(pattern(7, 40), pattern(7, 40))).toThrow(MetricInputError);
    expect(() => ssimulacra2(reference, pattern(128, 96))).toThrow(/128x96/);
  });
});
