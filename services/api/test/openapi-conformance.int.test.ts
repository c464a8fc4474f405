import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { rm, writeFile } from 'node:fs/promises';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { childProcessEnv, localStateDir } from '@zocket/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ApiWorld, createApiWorld, newSubject } from './api-world.js';

/*
 * Schemathesis (PyPI, pinned) against the running API: every answer to generated requests must be
 * one the OpenAPI document describes (status, content type, body schema), and none a 5xx.
 * Installed once into a venv in infra/local's state folder, outside the repository.
 */
const SCHEMATHESIS_VERSION = '4.32.5';
const MAX_EXAMPLES = '20';
const run = promisify(execFile);

function toolsDir(): string {
  return join(localStateDir(), 'tools');
}

/** The schemathesis CLI of the pinned version, installed on first use. */
async function ensureSchemathesis(): Promise<string> {
  const venv = join(toolsDir(), `schemathesis-${SCHEMATHESIS_VERSION}`);
  const bin = join(venv, 'bin', 'schemathesis');
  const marker = join(venv, '.installed');
  if (existsSync(marker)) return bin;
  await rm(venv, { recursive: true, force: true });
  await run('python3', ['-m', 'venv', venv]);
  await run(join(venv, 'bin', 'pip'), [
    'install',
    '--quiet',
    '--disable-pip-version-check',
    `schemathesis==${SCHEMATHESIS_VERSION}`,
  ]);
  await writeFile(marker, `${SCHEMATHESIS_VERSION}\n`);
  return bin;
}

let world: ApiWorld;
let schemathesis: string;

beforeAll(async () => {
  [world, schemathesis] = await Promise.all([createApiWorld(), ensureSchemathesis()]);
}, 300_000);
afterAll(() => world?.close());

describe('the OpenAPI document', () => {
  it('describes every status, content type and body the API answers (schemathesis)', async () => {
    const token = await world.token(newSubject('schemathesis'));
    // Something to list and read, so success bodies are checked against their schemas too.
    await world.createProduct(token);
    const args = [
      'run',
      `${world.baseUrl}/openapi.json`,
      '--url',
      world.baseUrl,
      '--checks',
      'not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance',
      '--phases',
      'examples,coverage,fuzzing',
      '--max-examples',
      MAX_EXAMPLES,
      '--seed',
      '1',
      // One worker: Python 3.11's parser is not thread-safe for hypothesis's lambda descriptions.
      '--workers',
      '1',
      '--request-timeout',
      '10',
      '--header',
      `Authorization: Bearer ${token}`,
    ];
    const result = await run(schemathesis, args, {
      timeout: 110_000,
      // Its example database goes to the working folder: keep it out of the repository.
      cwd: tmpdir(),
      maxBuffer: 16 * 1024 * 1024,
      env: {
        ...childProcessEnv({ NO_COLOR: '1', SCHEMATHESIS_TELEMETRY: 'false' }),
        HOME: homedir(),
      },
    }).then(
      (r) => ({ code: 0, output: r.stdout }),
      (e: { code?: number; stdout?: string; stderr?: string }) => ({
        code: e.code ?? -1,
        output: `${e.stdout ?? ''}\n${e.stderr ?? ''}`,
      }),
    );
    expect(result.code, result.output).toBe(0);
  }, 130_000);
});
