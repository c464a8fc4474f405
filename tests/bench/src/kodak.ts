import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export interface KodakImage {
  name: string;
  bytes: Buffer;
}

/** The Kodak PNGs in name order, or undefined when the folder is absent. */
export function loadKodak(dir: string): KodakImage[] | undefined {
  if (!existsSync(dir)) return undefined;
  return readdirSync(dir)
    .filter((f) => f.endsWith('.png'))
    .sort()
    .map((f) => ({ name: f, bytes: readFileSync(join(dir, f)) }));
}
