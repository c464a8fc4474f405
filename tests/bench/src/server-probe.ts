// Loaded into a server the bench measures (`node --import <this file>`): what the server itself
// saw during a load, to tell a latency tail the server made (a GC pause, a blocked event loop)
// from one made outside it (the load generator, the scheduler). Idle until the first SIGUSR2; the
// next SIGUSR2 writes the figures to <BENCH_PROBE_DIR>/probe-<pid>.json and goes idle again, so
// the loads it does not watch pay nothing for it.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  constants,
  monitorEventLoopDelay,
  type PerformanceEntry,
  PerformanceObserver,
} from 'node:perf_hooks';

export interface ProbeReport {
  gc: { count: number; totalMs: number; maxMs: number; majorCount: number; majorMaxMs: number };
  /** How late the event loop ran a 1 ms timer: time the loop was busy or the process was not running. */
  loopDelayMs: { p50: number; p99: number; max: number };
}

const dir = process.env.BENCH_PROBE_DIR;
let watching:
  | { histogram: ReturnType<typeof monitorEventLoopDelay>; observer: PerformanceObserver }
  | undefined;
let gc: ProbeReport['gc'];
const ms = (ns: number) => Math.round(ns / 1e4) / 100;
const round = (x: number) => Math.round(x * 100) / 100;

function start() {
  gc = { count: 0, totalMs: 0, maxMs: 0, majorCount: 0, majorMaxMs: 0 };
  const observer = new PerformanceObserver((list) => count(list.getEntries()));
  observer.observe({ entryTypes: ['gc'] });
  const histogram = monitorEventLoopDelay({ resolution: 1 });
  histogram.enable();
  watching = { histogram, observer };
}

function count(entries: readonly PerformanceEntry[]) {
  for (const entry of entries) {
    gc.count += 1;
    gc.totalMs += entry.duration;
    gc.maxMs = Math.max(gc.maxMs, entry.duration);
    const kind = ((entry as { detail?: unknown }).detail as { kind?: number } | undefined)?.kind;
    if (kind === constants.NODE_PERFORMANCE_GC_MAJOR) {
      gc.majorCount += 1;
      gc.majorMaxMs = Math.max(gc.majorMaxMs, entry.duration);
    }
  }
}

function report(): ProbeReport {
  const { histogram, observer } = watching as NonNullable<typeof watching>;
  histogram.disable();
  count(observer.takeRecords()); // entries not yet delivered to the callback
  observer.disconnect();
  watching = undefined;
  return {
    gc: {
      ...gc,
      totalMs: round(gc.totalMs),
      maxMs: round(gc.maxMs),
      majorMaxMs: round(gc.majorMaxMs),
    },
    loopDelayMs: {
      p50: ms(histogram.percentile(50)),
      p99: ms(histogram.percentile(99)),
      max: ms(histogram.max),
    },
  };
}

if (dir !== undefined) {
  process.on('SIGUSR2', () => {
    if (watching === undefined) return start();
    writeFileSync(join(dir, `probe-${process.pid}.json`), JSON.stringify(report()));
  });
}
