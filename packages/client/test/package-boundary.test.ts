import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const dist = fileURLToPath(new URL('../dist', import.meta.url));

/** Every module specifier the built JavaScript imports or re-exports, by file. */
function builtImports(): Map<string, string[]> {
  const byFile = new Map<string, string[]>();
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.name.endsWith('.js')) {
        const code = readFileSync(path, 'utf8');
        const specifiers = [
          ...code.matchAll(/\b(?:import|export)\s[^'"]*?from\s*['"]([^'"]+)['"]/g),
          ...code.matchAll(/\bimport\s*\(?\s*['"]([^'"]+)['"]/g),
        ].map((m) => m[1] as string);
        byFile.set(path.slice(dist.length + 1), specifiers);
      }
    }
  };
  walk(dist);
  return byFile;
}

/** What a frontend may be made to download through this package, and nothing more. */
const ALLOWED = ['@trpc/client', 'eventsource', 'thumbhash', 'react', 'react/jsx-runtime'];
const SERVER_ONLY =
  /^(pg|ioredis|kafkajs|sharp|@aws-sdk\/|@zocket\/(api|db|service-kit|telemetry|image-processor))(\/|$)|services\//;

describe('the built package', () => {
  it('imports nothing from services/, pg, ioredis, kafkajs or sharp: only client libraries', () => {
    const imports = builtImports();
    expect(imports.has('index.js')).toBe(true);
    expect(imports.has(join('react', 'index.js'))).toBe(true);
    for (const [file, specifiers] of imports) {
      for (const specifier of specifiers) {
        if (specifier.startsWith('.')) {
          // Relative imports stay inside dist/.
          expect(join(file, '..', specifier).startsWith('..'), `${file}: ${specifier}`).toBe(false);
          continue;
        }
        expect(SERVER_ONLY.test(specifier), `${file} imports ${specifier}`).toBe(false);
        expect(ALLOWED, `${file} imports ${specifier}`).toContain(specifier);
      }
    }
  });
});
