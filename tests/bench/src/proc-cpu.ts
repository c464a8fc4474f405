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
  const stats = new Map<number, { ppid: number; cpuMs: number }>();
  for (const pid of allPids()) {
    const s = statOf(pid);
    if (s !== undefined) stats.set(pid, s);
  }
  const inTree = (pid: number): boolean => {
    for (let p = pid; p > 1; p = stats.get(p)?.ppid ?? 0) if (p === root) return true;
    return false;
  };
  let total = 0;
  for (const [pid, s] of stats) if (inTree(pid)) total += s.cpuMs;
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
