import { describe, expect, it } from 'vitest';
import { clusterId } from '../src/kafka-broker.js';

describe('clusterId', () => {
  it('gives 22-character base64url ids, none starting with "-"', () => {
    // About one random id in 64 starts with '-'; among 2000, one such would almost surely appear.
    const ids = Array.from({ length: 2000 }, clusterId);
    for (const id of ids) {
      expect(id).toMatch(/^[A-Za-z0-9_][A-Za-z0-9_-]{21}$/);
    }
    expect(new Set(ids).size).toBe(ids.length);
  });
});
