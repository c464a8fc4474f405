// The bench's side of server-probe.ts, and the pinned runs: what a server saw during a load, and
// the same load with the server and the load generator on cores of their own.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { pathToFileURL } from 'node:url';
import { log } from './log.js';
import type { ProbeReport } from './server-probe.js';

export type { ProbeReport };

/** Node flags that load the probe into a server the bench starts. */
export const PROBE_IMPORT = [
  '--import',
  pathToFileURL(join(import.meta.dirname, 'server-probe.js')).href,
] as const;

/** Where probed servers write their figures (BENCH_PROBE_DIR of every child); gone at exit. */
export const PROBE_DIR = mkdtempSync(join(tmpdir(), 'zocket-bench-probe-'));
process.once('exit', () => rmSync(PROBE_DIR, { recursive: true, force: true }));

/** Sends the probe's signal; false when the server is gone. */
function signalProbe(pid: number): boolean {
  try {
    process.kill(pid, 'SIGUSR2');
    return true;
  } catch {
    return false;
  }
}

/**
 * Reads the probe's figures for `pid`: undefined, with a log line, when the file is missing or
 * not a complete report. Exported for tests.
 */
export function readProbe(file: string): ProbeReport | undefined {
  if (!existsSync(file)) {
    log(`no probe figures for this load: ${file} was not written`);
    return undefined;
  }
  try {
    const report = JSON.parse(readFileSync(file, 'utf8')) as ProbeReport;
    if (typeof report?.gc?.count !== 'number' || typeof report?.loopDelayMs?.p99 !== 'number') {
      throw new Error('not a probe report');
    }
    return report;
  } catch (error) {
    log(`no probe figures for this load: ${file} is unreadable (${(error as Error).message})`);
    return undefined;
  }
}

/**
 * Runs `load` with the probe of server `pid` watching; its figures, or undefined (logged) if it
 * wrote none. A missing figure never fails the load.
 */
export async function probed<T>(
  pid: number,
  load: () => Promise<T>,
): Promise<[T, ProbeReport | undefined]> {
  const file = join(PROBE_DIR, `probe-${pid}.json`);
  rmSync(file, { force: true });
  const watching = signalProbe(pid);
  const result = await load();
  if (!watching || !signalProbe(pid)) {
    log(`no probe figures for this load: server ${pid} could not be signalled`);
    return [result, undefined];
  }
  for (let i = 0; i < 50 && !existsSync(file); i += 1) await sleep(20);
  return [result, readProbe(file)];
}

/** Sets the cores of process `pid`: its main thread only, or with `allThreads` every thread. */
const taskset = (cpuList: string, pid: number, allThreads: boolean) =>
  spawnSync('taskset', [...(allThreads ? ['-a'] : []), '-p', '-c', cpuList, String(pid)], {
    stdio: 'ignore',
  }).status === 0;

/**
 * Runs `load` with the main thread of server `pid` (its event loop) on the first core and this
 * process, the load generator, on the second; both get every core back after. The server's other
 * threads (V8's GC helpers, libuv's pool), Redis and the rest of the machine still run anywhere:
 * pinning the GC helpers beside the event loop made their pauses several times longer. Undefined
 * where it cannot be done (one core, no `taskset`).
 */
export async function pinned<T>(pid: number, load: () => Promise<T>): Promise<T | undefined> {
  const all = `0-${cpus().length - 1}`;
  if (cpus().length < 2 || !taskset('0', pid, false)) return undefined;
  try {
    if (!taskset('1', process.pid, true)) return undefined;
    return await load();
  } finally {
    taskset(all, pid, false);
    taskset(all, process.pid, true);
  }
}
