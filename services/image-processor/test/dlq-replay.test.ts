import { describe, expect, it } from 'vitest';
import { nothingToReplay } from '../src/dlq/dlq-replay.js';

describe('nothingToReplay', () => {
  it('is true for a partition that never had a message', () => {
    expect(nothingToReplay({ low: 0n, high: 0n, committed: undefined })).toBe(true);
  });

  it('is true for a partition whose messages were all deleted by retention and nothing is committed', () => {
    expect(nothingToReplay({ low: 7n, high: 7n, committed: undefined })).toBe(true);
  });

  it('is true when the committed offset was deleted by retention along with everything after it', () => {
    expect(nothingToReplay({ low: 7n, high: 7n, committed: 3n })).toBe(true);
  });

  it('is true when this group already replayed to the end', () => {
    expect(nothingToReplay({ low: 0n, high: 5n, committed: 5n })).toBe(true);
    expect(nothingToReplay({ low: 2n, high: 5n, committed: 5n })).toBe(true);
  });

  it('is false while messages remain after the start, wherever the start comes from', () => {
    expect(nothingToReplay({ low: 0n, high: 5n, committed: undefined })).toBe(false);
    expect(nothingToReplay({ low: 3n, high: 5n, committed: undefined })).toBe(false);
    expect(nothingToReplay({ low: 0n, high: 5n, committed: 4n })).toBe(false);
    expect(nothingToReplay({ low: 3n, high: 5n, committed: 1n })).toBe(false);
  });
});
