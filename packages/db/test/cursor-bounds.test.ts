import { describe, expect, it } from 'vitest';
import { decodeCursor } from '../src/queries/cursor.js';

const encode = (text: string) => Buffer.from(text).toString('base64url');
const ID = '0b9f6a52-3c4d-4e5f-8a9b-0c1d2e3f4a5b';

describe('decodeCursor bounds', () => {
  it.each(['0000-01-01T00:00:00.000000Z', '0000-12-31T23:59:59.999999Z'])(
    'refuses year 0000, which PostgreSQL cannot hold (%s)',
    (ts) => {
      expect(decodeCursor(encode(`${ts}|${ID}`))).toBeUndefined();
    },
  );

  it('accepts the first and last years PostgreSQL and the shape both hold', () => {
    expect(decodeCursor(encode(`0001-01-01T00:00:00.000000Z|${ID}`))).toBeDefined();
    expect(decodeCursor(encode(`9999-12-31T23:59:59.999999Z|${ID}`))).toBeDefined();
  });
});
