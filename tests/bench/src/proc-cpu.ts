// CPU time of processes from /proc (Linux): utime + stime, in clock ticks of 10 ms (CLK_TCK 100).
import { readdirSync, readFileSync } from 'node:fs';

const TICK_MS = 10;

function statOf(pid: number): { ppid: number; cpuMs: number } | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may hold spaces; the fields after it start at ") ".
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return {
      ppid: Number(fields[1]),
      cpuMs: (Number(fields[11]) + Number(fields[12])) * TICK_MS,
    };
  } catch {
    return undefined; // exited
  }
}

function allPids(): number[] {
  return readdirSync('/proc')
    .filter((name) => /^\d+$/.test(name))
    .map(Number);
}

/** CPU ms of a process and of each of its descendants, by pid (a cluster's primary and workers). */
export function cpuMsByProcess(root: number): Map<number, number> {
  const stats = new Map<number, { ppid: number; cpuMs: number }>();
  for (const pid of allPids()) {
    const s = statOf(pid);
    if (s !== undefined) stats.set(pid, s);
  }
  const inTree = (pid: number): boolean => {
    for (let p = pid; p > 1; p = stats.get(p)?.ppid ?? 0) if (p === root) return true;
    return false;
  };
  const found = new Map<number, number>();
  for (const [pid, s] of stats) if (inTree(pid)) found.set(pid, s.cpuMs);
  return found;
}

/** CPU ms of a process and all its descendants (a cluster's workers, postgres's backends). */
export function treeCpuMs(root: number): number {
  let total = 0;
  for (const cpuMs of cpuMsByProcess(root).values()) total += cpuMs;
  return total;
}

function cmdline(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ');
  } catch {
    return '';
  }
}

const INFRA: Record<string, (cmd: string) => boolean> = {
  postgres: (cmd) => /\/postgres -D /.test(cmd),
  redis: (cmd) => cmd.startsWith('redis-server'),
  kafka: (cmd) => cmd.startsWith('java') && cmd.includes('kafka.Kafka'),
  s3proxy: (cmd) => cmd.startsWith('java') && cmd.includes('s3proxy'),
};

/** The infrastructure's root processes on this machine (shared with anything else using them). */
export function infraPids(): Record<string, number | undefined> {
  const found: Record<string, number | undefined> = {};
  for (const pid of allPids()) {
    const cmd = cmdline(pid);
    for (const [name, matches] of Object.entries(INFRA)) {
      if (found[name] === undefined && matches(cmd)) found[name] = pid;
    }
  }
  return found;
}

/** CPU ms of each infrastructure process tree now. */
export function infraCpuMs(pids: Record<string, number | undefined>): Record<string, number> {
  return Object.fromEntries(
    Object.entries(pids).map(([name, pid]) => [name, pid === undefined ? 0 : treeCpuMs(pid)]),
  );
}

/**
 * CPU ms of one process split by thread: its main thread (JavaScript) and all its other threads
 * (libuv's pool, where sharp runs, libvips' workers, V8's GC and compiler helpers).
 */
export function threadCpuMs(pid: number): { main: number; others: number } {
  let main = 0;
  let others = 0;
  let tids: string[] = [];
  try {
    tids = readdirSync(`/proc/${pid}/task`);
  } catch {
    return { main, others }; // exited
  }
  for (const tid of tids) {
    try {
      const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const ms = (Number(fields[11]) + Number(fields[12])) * TICK_MS;
      if (Number(tid) === pid) main += ms;
      else others += ms;
    } catch {
      // the thread ended
    }
  }
  return { main, others };
}
