// Every process the bench starts, and the teardowns it must run however it ends: a section that
// throws, an uncaught error, Ctrl-C or SIGTERM. A child is started in a process group of its own,
// so stopping it also stops what it started (the API's cluster workers) even after it died.
import { type ChildProcess, type SpawnOptions, spawn } from 'node:child_process';
import { log } from './log.js';

const running = new Set<ChildProcess>();
const teardowns = new Set<() => Promise<void>>();

/** Pids of the bench's children that have not exited yet. */
export function runningChildren(): number[] {
  return [...running].map((c) => c.pid as number);
}

/** Sends `signal` to the process group of `child` (itself and whatever it started). */
function signalGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    // the group is gone already
  }
}

/** Starts `node <args>` as a child of the bench, in its own process group. */
export function spawnBenchChild(args: readonly string[], options: SpawnOptions = {}): ChildProcess {
  const child = spawn(process.execPath, args, { ...options, detached: true });
  if (child.pid === undefined) return child; // failed to start: its 'error' event says why
  running.add(child);
  child.once('exit', () => {
    running.delete(child);
    // What it started must not outlive it.
    signalGroup(child, 'SIGKILL');
  });
  return child;
}

/**
 * Stops `children` (default: every running child): SIGTERM to each group, then SIGKILL to what is
 * left after `graceMs`. Resolves when every one has exited.
 */
export async function stopChildren(
  children: Iterable<ChildProcess> = running,
  graceMs = 10_000,
): Promise<void> {
  const alive = [...children].filter((c) => c.exitCode === null && c.signalCode === null);
  if (alive.length === 0) return;
  const exited = alive.map((c) => new Promise<void>((resolve) => c.once('exit', () => resolve())));
  for (const child of alive) signalGroup(child, 'SIGTERM');
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<'late'>((resolve) => {
    timer = setTimeout(() => resolve('late'), graceMs);
  });
  if ((await Promise.race([Promise.all(exited), late])) === 'late') {
    for (const child of alive) signalGroup(child, 'SIGKILL');
    await Promise.all(exited);
  }
  clearTimeout(timer);
}

/**
 * Registers a teardown (drop a database, delete topics) to run if the bench is stopped by a
 * signal before its owner runs it; the returned function unregisters it.
 */
export function onInterrupt(teardown: () => Promise<void>): () => void {
  teardowns.add(teardown);
  return () => teardowns.delete(teardown);
}

/** Runs, once, the teardowns whose owners never ran them (a world that failed while starting). */
export async function runLeftoverTeardowns(): Promise<number> {
  const left = [...teardowns];
  teardowns.clear();
  await Promise.allSettled(left.map((t) => t()));
  return left.length;
}

let installed = false;

/**
 * On SIGINT or SIGTERM: stop every child, run the registered teardowns (bounded), exit 130/143.
 * On any exit: SIGKILL whatever child is still there (an exit handler can do nothing async).
 */
export function installChildCleanup(teardownMs = 20_000): void {
  if (installed) return;
  installed = true;
  let stopping = false;
  for (const [signal, code] of [
    ['SIGINT', 130],
    ['SIGTERM', 143],
  ] as const) {
    process.on(signal, () => {
      if (stopping) return;
      stopping = true;
      log(`${signal}: stopping ${running.size} child process(es) and cleaning up`);
      const cleanup = (async () => {
        await stopChildren(running, 5_000);
        await Promise.allSettled([...teardowns].map((t) => t()));
      })();
      const bound = new Promise((resolve) => setTimeout(resolve, teardownMs).unref());
      void Promise.race([cleanup, bound]).finally(() => process.exit(code));
    });
  }
  process.on('exit', () => {
    for (const child of running) signalGroup(child, 'SIGKILL');
  });
}
