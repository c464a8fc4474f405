import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';

/** The repository root (the folder holding infra/local/up), found from this file. */
export function repoRoot(): string {
  let dir = import.meta.dirname;
  while (!existsSync(join(dir, 'infra', 'local', 'up'))) {
    const parent = dirname(dir);
    if (parent === dir) throw new Error('cannot find the repository root above the test harness');
    dir = parent;
  }
  return dir;
}
