import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '../src/repo.js';

const root = repoRoot();
const read = (path: string) => readFileSync(join(root, path), 'utf8');

/** Every workspace directory the root package.json's globs ("apps/*", ...) name. */
function workspaceDirs(): string[] {
  const { workspaces } = JSON.parse(read('package.json')) as { workspaces: string[] };
  return workspaces.flatMap((glob) => {
    const parent = glob.replace(/\/\*$/, '');
    return readdirSync(join(root, parent), { withFileTypes: true })
      .filter((d) => d.isDirectory())
      .map((d) => `${parent}/${d.name}`)
      .filter((dir) => {
        try {
          read(`${dir}/package.json`);
          return true;
        } catch {
          return false;
        }
      });
  });
}

describe('the Dockerfiles', () => {
  for (const dockerfile of ['services/api/Dockerfile', 'services/image-processor/Dockerfile']) {
    it(`${dockerfile} gives npm ci every workspace's package.json`, () => {
      const text = read(dockerfile);
      for (const dir of workspaceDirs()) {
        expect(text, dir).toContain(`COPY ${dir}/package.json ${dir}/`);
      }
    });
  }

  it('builds the console into the API image, where the API serves it', () => {
    const text = read('services/api/Dockerfile');
    expect(text).toContain('npm run build -w @zocket/console');
    expect(text).toContain('COPY --from=build /app/apps/console/dist apps/console/dist');
  });
});
