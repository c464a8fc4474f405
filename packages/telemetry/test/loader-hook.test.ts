import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);

/** What register.ts does with the hook, from a child process (a vitest worker must not be hooked). */
const REGISTER_HOOK = `
import { register } from 'node:module';
register('@opentelemetry/instrumentation/hook.mjs', process.argv[1]);
const { trace } = await import('@opentelemetry/api');
console.log(typeof trace.getTracer);
`;

describe('the ESM loader hook the register entry installs', () => {
  it('resolves from the register entry and lets ES modules load', async () => {
    const registerUrl = new URL('../src/register.ts', import.meta.url).href;
    const { stdout } = await run(
      process.execPath,
      ['--input-type=module', '-e', REGISTER_HOOK, registerUrl],
      { timeout: 30_000 },
    );
    expect(stdout.trim()).toBe('function');
    // A fresh Node process loading the SDK: seconds on a busy machine.
  }, 30_000);
});
