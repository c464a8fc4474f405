import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { API_NODE_FLAGS } from '../src/node-flags.js';

const root = join(import.meta.dirname, '..', '..', '..');
const read = (path: string) => readFileSync(join(root, path), 'utf8');

/*
 * The API's V8 memory flags are measured by `npm run bench` (rss.apiMb), which starts the API with
 * API_NODE_FLAGS; these tests keep every other way of starting it on the same flags.
 */
describe('the API V8 flags', () => {
  it('are on npm start and npm run dev of the API package', () => {
    const { scripts } = JSON.parse(read('services/api/package.json')) as {
      scripts: Record<string, string>;
    };
    for (const script of [scripts.start, scripts.dev]) {
      expect(script).toMatch(
        new RegExp(`node (--enable-source-maps )?${API_NODE_FLAGS.join(' ')} `),
      );
    }
  });

  it('are on the image CMD (which the Kubernetes manifests do not override)', () => {
    const quoted = API_NODE_FLAGS.map((flag) => `"${flag}"`).join(', ');
    expect(read('services/api/Dockerfile')).toContain(`CMD ["node", ${quoted}, `);
    expect(read('deploy/k8s/base/api.yaml')).not.toMatch(/^\s+(command|args):/m);
  });

  it('are on the API under the root npm run dev', () => {
    const quoted = API_NODE_FLAGS.map((flag) => `'${flag}'`).join(', ');
    expect(read('scripts/dev.mjs')).toContain(`flags: [${quoted}]`);
  });
});
