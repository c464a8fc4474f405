import { describe, expect, it } from 'vitest';
import { sniffImageFormat } from '../src/image-formats.js';

const pad = (head: number[] | string) =>
  Buffer.concat([
    typeof head === 'string' ? Buffer.from(head, 'latin1') : Buffer.from(head),
    Buffer.alloc(16),
  ]);

describe('sniffImageFormat', () => {
  it.each([
    ['jpeg', pad([0xff, 0xd8, 0xff, 0xe0])],
    ['png', pad('\x89PNG\r\n\x1a\n')],
    ['gif', pad('GIF89a')],
    ['webp', pad('RIFF\0\0\0\0WEBPVP8 ')],
    ['tiff', pad('II*\0')],
    ['tiff', pad('MM\0*')],
    ['avif', pad('\0\0\0\x1cftypavif\0\0\0\0avifmif1')],
    ['avif', pad('\0\0\0\x20ftypmif1\0\0\0\0mif1avifmiaf')],
  ])('recognises %s by its magic bytes', (format, bytes) => {
    expect(sniffImageFormat(bytes)).toBe(format);
  });

  it.each([
    ['svg', '<svg xmlns="http://www.w3.org/2000/svg"></svg>'],
    ['svg with xml prolog', '<?xml version="1.0"?><svg></svg>'],
    ['html', '<!doctype html><html></html>'],
    ['heic', '\0\0\0\x18ftypheic\0\0\0\0mif1heic'],
    ['too short', '\xff\xd8'],
  ])('refuses %s', (_, text) => {
    expect(sniffImageFormat(Buffer.from(text, 'latin1'))).toBeUndefined();
  });
});
