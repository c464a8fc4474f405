import { describe, expect, it } from 'vitest';
import { decodeCursor } from '../src/queries/cursor.js';

const encode = (text: string) => Buffer.from(text).toString('base64url');
const ID = '0b9f6a52-3c4d-4e5f-8a9b-0c1d2e3f4a5b';

describe('decodeCursor', () => {
  it('decodes a cursor of the shape listProducts issues', () => {
    expect(decodeCursor(encode(`2026-11-26T14:20:56.123456Z|${ID}`))).toEqual({
      ts: '2026-11-26T14:20:56.123456Z',
      id: ID,
    });
  });

  it.each([
    ['month 13', `2026-13-26T14:20:56.123456Z|${ID}`],
    ['hour 25', `2026-11-26T25:20:56.123456Z|${ID}`],
    ['February 30', `2026-02-30T14:20:56.123456Z|${ID}`],
    ['an id of dashes', `2026-11-26T14:20:56.123456Z|${'-'.repeat(36)}`],
    ['an id with the wrong grouping', `2026-11-26T14:20:56.123456Z|${ID.replaceAll('-', '')}----`],
    ['no id', '2026-11-26T14:20:56.123456Z|'],
    ['arbitrary text', 'not-a-cursor'],
  ])('refuses %s', (_, text) => {
    expect(decodeCursor(encode(text))).toBeUndefined();
  });
});
