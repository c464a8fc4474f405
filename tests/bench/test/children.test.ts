import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runningChildren, spawnBenchChild } from '../src/children.js';
import { readProbe } from '../src/probe.js';
import { runSection } from '../src/run-section.js';

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/** Waits until none of `pids` exists (an orphaned grandchild is reaped by init, not by us). */
async function allGone(pids: number[], timeoutMs = 5_000): Promise<number[]> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    if (pids.every((pid) => !alive(pid))) return [];
    await new Promise((r) => setTimeout(r, 50));
  }
  return pids.filter(alive);
}

const FIXTURE = join(import.meta.dirname, 'fixtures', 'bench-with-children.mjs');
const BUILT = join(import.meta.dirname, '..', 'dist', 'children.js');

/** Runs the fixture bench and resolves with the pids it started (children and a grandchild). */
function startFixture(mode: 'signal' | 'uncaught') {
  const bench = spawn(process.execPath, [FIXTURE, mode], { stdio: ['ignore', 'pipe', 'pipe'] });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    bench.once('exit', (code, signal) => resolve({ code, signal })),
  );
  const pids = new Promise<number[]>((resolve, reject) => {
    bench.stdout.once('data', (chunk) => resolve(JSON.parse(String(chunk)) as number[]));
    bench.once('exit', () => reject(new Error('the fixture bench exited before starting')));
  });
  return { bench, exited, pids };
}

describe('the bench leaves no process behind', () => {
  it('stops every child a throwing section started, even one that ignores SIGTERM, and its children', async () => {
    const failures: Record<string, string> = {};
    let started: number[] = [];
    const result = await runSection(
      'throws',
      async () => {
        const plain = spawnBenchChild(['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
        const stubborn = spawnBenchChild(
          [
            '-e',
            `const c = require('node:child_process').spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
             process.on('SIGTERM', () => {});
             process.stdout.write(c.pid + '\\n');
             setInterval(() => {}, 1000);`,
          ],
          { stdio: ['ignore', 'pipe', 'inherit'] },
        );
        const grandchild = await new Promise<number>((resolve) =>
          stubborn.stdout?.once('data', (chunk) => resolve(Number(String(chunk).trim()))),
        );
        started = [plain.pid as number, stubborn.pid as number, grandchild];
        expect(started.every(alive)).toBe(true);
        throw new Error('the section broke');
      },
      failures,
    );
    expect(result).toBeUndefined();
    expect(failures).toEqual({ throws: 'the section broke' });
    expect(runningChildren()).toEqual([]);
    expect(await allGone(started)).toEqual([]);
  });

  it('runs the next section after a failed one', async () => {
    const failures: Record<string, string> = {};
    await runSection(
      'first',
      async () => {
        throw new Error('no');
      },
      failures,
    );
    const second = await runSection('second', async () => 42, failures);
    expect(second).toBe(42);
    expect(Object.keys(failures)).toEqual(['first']);
  });

  describe.each([
    ['SIGTERM', 143],
    ['SIGINT', 130],
  ] as const)('a bench stopped with %s', (signal, code) => {
    it(`stops its children and exits ${code}`, async () => {
      expect(existsSync(BUILT), 'build @zocket/bench first (turbo does)').toBe(true);
      const { bench, exited, pids } = startFixture('signal');
      const started = await pids;
      expect(started.every(alive)).toBe(true);
      bench.kill(signal);
      expect(await exited).toEqual({ code, signal: null });
      expect(await allGone(started)).toEqual([]);
    });
  });

  it('kills its children when it dies of an uncaught error', async () => {
    expect(existsSync(BUILT), 'build @zocket/bench first (turbo does)').toBe(true);
    const { exited, pids } = startFixture('uncaught');
    const started = await pids;
    expect((await exited).code).toBe(1);
    expect(await allGone(started)).toEqual([]);
  });
});

describe('probe figures', () => {
  const dir = mkdtempSync(join(tmpdir(), 'bench-probe-test-'));

  it('are absent, not an error, when the file is partial or missing', () => {
    const partial = join(dir, 'partial.json');
    writeFileSync(partial, '{"gc":{"count":3,');
    expect(readProbe(partial)).toBeUndefined();
    const empty = join(dir, 'empty.json');
    writeFileSync(empty, '');
    expect(readProbe(empty)).toBeUndefined();
    expect(readProbe(join(dir, 'missing.json'))).toBeUndefined();
  });

  it('are read from a complete report', () => {
    const file = join(dir, 'whole.json');
    const report = {
      gc: { count: 1, totalMs: 2, maxMs: 2, majorCount: 0, majorMaxMs: 0 },
      loopDelayMs: { p50: 1, p99: 2, max: 3 },
    };
    writeFileSync(file, JSON.stringify(report));
    expect(readProbe(file)).toEqual(report);
  });
});
