import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { repoRoot } from '@zocket/testkit';
import { describe, expect, it } from 'vitest';

/** The variables infra/local/up exports, as a map. */
function localEnv(): Record<string, string> {
  const out = execFileSync(join(repoRoot(), 'infra', 'local', 'up'), {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'ignore'],
    timeout: 120_000,
  });
  const env: Record<string, string> = {};
  for (const line of out.split('\n')) {
    const match = /^export ([A-Z_0-9]+)=(.*)$/.exec(line);
    if (match) env[match[1] as string] = match[2] as string;
  }
  return env;
}

describe('infra/local/up', () => {
  it('exports the public image base URL of the S3 it started, so variant links work', () => {
    const env = localEnv();
    expect(env.S3_ENDPOINT).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(env.PUBLIC_IMAGE_BASE_URL).toBe(`${env.S3_ENDPOINT}/${env.S3_BUCKET}`);
  });
});
