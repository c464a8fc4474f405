import { randomBytes } from 'node:crypto';
import { crc32, deflateSync } from 'node:zlib';

const SIGNATURE = Buffer.from('\x89PNG\r\n\x1a\n', 'latin1');
/** A zlib stream of no data: the token IDAT of a PNG that only has to get past its header. */
const EMPTY_IDAT = Buffer.from([0x78, 0x9c, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01]);

function chunk(type: string, data: Buffer): Buffer {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body) >>> 0);
  return Buffer.concat([length, body, crc]);
}

/** IHDR of an 8-bit RGB image: deflate, no filter, no interlace. */
function rgbHeader(width: number, height: number): Buffer {
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header[8] = 8; // bit depth
  header[9] = 2; // colour type RGB
  return header;
}

/**
 * A valid RGB PNG of the given size. Random pixels make it unique (distinct content hash) and
 * incompressible, so its size is roughly width * height * 3 bytes.
 */
export function pngImage(width = 2, height = 2): Buffer {
  const rows: Buffer[] = [];
  for (let y = 0; y < height; y++)
    rows.push(Buffer.concat([Buffer.from([0]), randomBytes(width * 3)]));
  return Buffer.concat([
    SIGNATURE,
    chunk('IHDR', rgbHeader(width, height)),
    chunk('IDAT', deflateSync(Buffer.concat(rows))),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

/**
 * A PNG whose IHDR (with a valid CRC) claims the given size, followed by a token IDAT/IEND: the
 * shape of a decompression bomb, refused before any pixel is decoded.
 */
export function pngClaiming(width: number, height: number): Buffer {
  return Buffer.concat([
    SIGNATURE,
    chunk('IHDR', rgbHeader(width, height)),
    chunk('IDAT', EMPTY_IDAT),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}
