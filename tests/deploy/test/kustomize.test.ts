import { spawnSync } from 'node:child_process';
import { copyFileSync, cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { type Doc, loadDocs, repoRoot } from './manifests.js';

/*
 * Renders the base and the production overlay with kubectl's built-in kustomize, when kubectl is
 * installed (it is optional: the other checks read the base directly). Skipped with the reason
 * otherwise.
 */
const kubectl = spawnSync('kubectl', ['version', '--client'], { stdio: 'ignore' }).status === 0;
if (!kubectl) console.warn('skipping the kustomize render check: kubectl is not installed');

function render(dir: string): Doc[] {
  const run = spawnSync('kubectl', ['kustomize', dir], { encoding: 'utf8' });
  expect(run.status, run.stderr).toBe(0);
  return parseAllDocuments(run.stdout).map((d) => d.toJS() as Doc);
}

describe.skipIf(!kubectl)('kubectl kustomize', () => {
  const scratch = mkdtempSync(join(tmpdir(), 'zocket-kustomize-'));
  afterAll(() => rmSync(scratch, { recursive: true, force: true }));

  it('renders the base to exactly the documents of its files', () => {
    const rendered = render(join(repoRoot, 'deploy/k8s/base'));
    const key = (d: Doc) => `${d.kind}/${d.metadata.name}`;
    expect(rendered.map(key).sort()).toEqual(loadDocs().map(key).sort());
  });

  it('renders the production overlay: registry images, one namespace, Secrets from its env files', () => {
    cpSync(join(repoRoot, 'deploy/k8s'), join(scratch, 'k8s'), { recursive: true });
    const overlay = join(scratch, 'k8s/overlays/production');
    for (const name of ['secrets.env', 'api-secrets.env']) {
      copyFileSync(join(overlay, `${name}.example`), join(overlay, name));
    }
    const rendered = render(overlay);
    expect(new Set(rendered.map((d) => d.metadata.namespace))).toEqual(new Set(['zocket']));
    const images = rendered
      .filter((d) => d.kind === 'Deployment' || d.kind === 'Job')
      .flatMap((d) => d.spec.template.spec.containers.map((c: { image: string }) => c.image));
    expect(images.length).toBe(4);
    for (const image of images)
      expect(image).toMatch(/^registry\.example\.com\/zocket\/zocket-[a-z-]+:\d/);
    const secrets = rendered.filter((d) => d.kind === 'Secret');
    expect(secrets.map((s) => s.metadata.name).sort()).toEqual([
      'zocket-api-secrets',
      'zocket-secrets',
    ]);
    const db = Buffer.from(
      secrets.find((s) => s.metadata.name === 'zocket-secrets')?.data.DATABASE_URL,
      'base64',
    ).toString();
    expect(db).toContain('sslmode=require');
    const shared = rendered.find(
      (d) => d.kind === 'ConfigMap' && d.metadata.name === 'zocket-shared',
    );
    for (const so of rendered.filter((d) => d.kind === 'ScaledObject')) {
      expect(so.spec.triggers[0].metadata.bootstrapServers).toBe(shared?.data.KAFKA_BROKERS);
    }
  });
});
