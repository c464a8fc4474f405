import { describe, expect, it } from 'vitest';
import { type QualityTarget, searchQuality } from '../../src/quality/quality-search.js';

const target: QualityTarget = {
  score: 70,
  minQuality: 20,
  maxQuality: 95,
  startQuality: 60,
  maxProbes: 8,
  tolerance: 0,
  slope: 0.7,
};

/** A fake encoder whose score is a smooth rising curve of quality. */
function fakeEncoder(scoreAt: (quality: number) => number) {
  const tried: number[] = [];
  return {
    tried,
    deps: {
      measure: async (quality: number) => {
        tried.push(quality);
        return { score: scoreAt(quality), output: `encoded at q${quality}` };
      },
    },
  };
}

/** The lowest quality whose score reaches the target, by brute force. */
function lowestPassing(scoreAt: (q: number) => number, t: QualityTarget): number {
  for (let q = t.minQuality; q <= t.maxQuality; q++) if (scoreAt(q) >= t.score) return q;
  return Number.NaN;
}

describe('searchQuality', () => {
  const curves: [string, (q: number) => number][] = [
    ['an easy image', (q) => 40 + 0.9 * q],
    ['a typical image', (q) => 30 + 0.68 * q],
    ['a hard image', (q) => 20 + 0.55 * q],
    ['a curved response', (q) => 100 - 60 * Math.exp(-q / 40)],
  ];

  it.each(curves)('finds the lowest quality that reaches the target for %s', async (_, scoreAt) => {
    const encoder = fakeEncoder(scoreAt);
    const result = await searchQuality(target, encoder.deps);
    expect(result.reached).toBe(true);
    expect(result.best.score).toBeGreaterThanOrEqual(target.score);
    expect(result.best.quality).toBe(lowestPassing(scoreAt, target));
    expect(result.best.output).toBe(`encoded at q${result.best.quality}`);
    expect(result.probes).toBeLessThanOrEqual(6);
  });

  it('stops early once a passing quality is within the tolerance of the target', async () => {
    const encoder = fakeEncoder((q) => 30 + 0.68 * q);
    const result = await searchQuality({ ...target, tolerance: 2 }, encoder.deps);
    expect(result.reached).toBe(true);
    expect(result.best.score - target.score).toBeLessThan(2);
    expect(result.stop).toBe('converged');
  });

  it('makes no more than maxProbes encodes, and returns its best passing answer', async () => {
    // A curve the slope guess overshoots, so convergence takes more probes than allowed.
    const scoreAt = (q: number) => 100 - 60 * Math.exp(-q / 40);
    const encoder = fakeEncoder(scoreAt);
    const result = await searchQuality({ ...target, maxProbes: 2, slope: 0.2 }, encoder.deps);
    expect(result.stop).toBe('probes');
    expect(encoder.tried).toHaveLength(2);
    expect(result.reached).toBe(true);
    expect(result.best.score).toBeGreaterThanOrEqual(target.score);
  });

  it('with its encodes spent before anything passed, makes one extrapolated probe above the target', async () => {
    // 56 at the start quality, far below 70, rising at the slope the target assumes.
    const scoreAt = (q: number) => 14 + 0.7 * q;
    const encoder = fakeEncoder(scoreAt);
    const result = await searchQuality({ ...target, maxProbes: 1 }, encoder.deps);
    expect(result.stop).toBe('probes');
    expect(encoder.tried).toHaveLength(2);
    expect(result.reached).toBe(true);
    expect(result.best.quality).toBeGreaterThanOrEqual(lowestPassing(scoreAt, target));
  });

  it('is deterministic: the same scores give the same probes and the same answer', async () => {
    const scoreAt = (q: number) => 30 + 0.68 * q;
    const first = fakeEncoder(scoreAt);
    const second = fakeEncoder(scoreAt);
    const a = await searchQuality({ ...target, maxProbes: 3 }, first.deps);
    const b = await searchQuality({ ...target, maxProbes: 3 }, second.deps);
    expect(second.tried).toEqual(first.tried);
    expect(b.best.quality).toBe(a.best.quality);
  });

  it('stops after maxProbes', async () => {
    const encoder = fakeEncoder((q) => 100 - 60 * Math.exp(-q / 40));
    const result = await searchQuality({ ...target, maxProbes: 2, slope: 5 }, encoder.deps);
    expect(encoder.tried.length).toBeLessThanOrEqual(3);
    expect(result.probes).toBe(encoder.tried.length);
  });

  it('returns the highest quality when even the ceiling misses the target', async () => {
    const encoder = fakeEncoder((q) => 10 + 0.5 * q); // 57.5 at q95
    const result = await searchQuality(target, encoder.deps);
    expect(result.reached).toBe(false);
    expect(result.best.quality).toBe(target.maxQuality);
    expect(result.stop).toBe('bounds');
  });

  it('returns the floor when even the lowest quality passes', async () => {
    const encoder = fakeEncoder((q) => 80 + 0.1 * q);
    const result = await searchQuality(target, encoder.deps);
    expect(result.reached).toBe(true);
    expect(result.best.quality).toBe(target.minQuality);
  });
});
