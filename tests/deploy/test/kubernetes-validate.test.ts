import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inCi, userCacheDir } from '@zocket/testkit';
import { afterAll, describe, expect, it } from 'vitest';
import { baseDir, loadDocs, manifestFiles } from './manifests.js';

/*
 * PyPI kubernetes-validate checks the core kinds against the Kubernetes OpenAPI schemas it bundles,
 * strictly (unknown fields are errors). It lives in a virtualenv outside the repository, made on
 * the first run. Without Python the test is skipped with the reason, except in CI, where it fails.
 */
const VERSION = '1.37.0';
const KUBERNETES = '1.34';
const python = ['python3', 'python'].find(
  (cmd) => spawnSync(cmd, ['--version'], { stdio: 'ignore' }).status === 0,
);
if (python === undefined) {
  const reason = 'no python3 on PATH: kubernetes-validate (PyPI) cannot run';
  if (inCi()) throw new Error(`${reason}, and CI is set`);
  console.warn(`skipping the kubernetes-validate check: ${reason}`);
}

const venv = join(userCacheDir(), 'zocket-kubernetes-validate', VERSION);
const bin = join(venv, 'bin', 'kubernetes-validate');

function ensureInstalled(): void {
  if (existsSync(bin)) return;
  mkdirSync(venv, { recursive: true });
  execFileSync(python as string, ['-m', 'venv', venv], { stdio: 'inherit' });
  execFileSync(
    join(venv, 'bin', 'pip'),
    ['install', '--quiet', '--disable-pip-version-check', `kubernetes-validate==${VERSION}`],
    { stdio: 'inherit' },
  );
}

function validate(files: string[]) {
  const run = spawnSync(bin, ['-k', KUBERNETES, '--strict', ...files], { encoding: 'utf8' });
  return { status: run.status, output: `${run.stdout}${run.stderr}` };
}

describe.skipIf(python === undefined)(`kubernetes-validate ${VERSION} --strict`, () => {
  const scratch = mkdtempSync(join(tmpdir(), 'zocket-k8s-'));
  afterAll(() => rmSync(scratch, { recursive: true, force: true }));

  it('accepts every core resource of deploy/k8s/base (CRDs are only warned about)', () => {
    ensureInstalled();
    const { status, output } = validate(manifestFiles().map((f) => join(baseDir, f)));
    expect(output).not.toMatch(/^ERROR/m);
    expect(status, output).toBe(0);
    const core = loadDocs().filter((d) => d.apiVersion !== 'keda.sh/v1alpha1');
    expect(output.match(/ passed for resource /g)?.length, output).toBe(core.length);
    const warnings = output.split('\n').filter((l) => l.startsWith('WARN'));
    for (const line of warnings) expect(line).toContain('kind ScaledObject');
  });

  it('rejects an unknown field, so a pass means something', () => {
    ensureInstalled();
    const api = readFileSync(join(baseDir, 'api.yaml'), 'utf8');
    const broken = join(scratch, 'api.yaml');
    writeFileSync(
      broken,
      api.replace('maxUnavailable: 1\n', 'maxUnavailable: 1\n  maxUnavaliable: 2\n'),
    );
    const { status, output } = validate([broken]);
    expect(status).not.toBe(0);
    expect(output).toContain("'maxUnavaliable' was unexpected");
  });
});
