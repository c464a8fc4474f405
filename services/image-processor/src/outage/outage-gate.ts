import type { Logger } from '@zocket/service-kit';
import type { ProcessorMetrics } from '../observability/metrics.js';
import type { Dependency, DependencyOutageError } from './dependency-outage.js';

/** How the gate probes and when it raises the alarm. */
export interface OutagePolicy {
  /** First probe delay; each failed probe doubles it up to `probeMaxDelayMs`. */
  probeBaseDelayMs: number;
  probeMaxDelayMs: number;
  /** Past this, the pause is reported as an incident (error log, gauge); consuming still waits. */
  alertAfterMs: number;
}

/** A dependency check: resolves 'ok' when it answers, or a reason (the readiness checks' shape). */
export type Probe = () => Promise<string>;

interface Down {
  since: number;
  reason: string;
  overLimit: boolean;
}

/** What the gate reports about one dependency that is down. */
export interface OutageState {
  dependency: Dependency;
  since: string;
  reason: string;
  overLimit: boolean;
}

/**
 * The process-wide switch between "consuming" and "waiting for our own services": a job that hits
 * a dependency outage reports it here, every lane pauses its partitions, and one probe loop per
 * dependency (backoff, never spinning) resumes them when it answers. State changes, not jobs, are
 * logged and counted.
 */
export class OutageGate {
  private readonly down = new Map<Dependency, Down>();
  private readonly listeners = new Set<(paused: boolean) => void>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private stopped = false;

  constructor(
    private readonly deps: {
      probes: Record<Dependency, Probe>;
      policy: OutagePolicy;
      logger: Logger;
      metrics: ProcessorMetrics;
      /** Runs after every failed probe and once before resuming (e.g. crediting bulk items). */
      whilePaused?: (since: Date) => Promise<void>;
    },
  ) {
    for (const dependency of Object.keys(deps.probes) as Dependency[]) {
      deps.metrics.dependencyPaused.set({ dependency }, 0);
      deps.metrics.dependencyOverLimit.set({ dependency }, 0);
    }
  }

  get paused(): boolean {
    return this.down.size > 0;
  }

  /** The dependencies being waited for (for /readyz). */
  get outages(): OutageState[] {
    return [...this.down].map(([dependency, d]) => ({
      dependency,
      since: new Date(d.since).toISOString(),
      reason: d.reason,
      overLimit: d.overLimit,
    }));
  }

  /** `listener(true)` when consuming must pause, `listener(false)` when it may resume. */
  onChange(listener: (paused: boolean) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** A job met this outage: pause (synchronously, before the caller returns) and start probing. */
  report(outage: DependencyOutageError, where: Record<string, unknown> = {}): void {
    if (this.stopped || this.down.has(outage.dependency)) return;
    const wasPaused = this.paused;
    const { logger, metrics, policy } = this.deps;
    this.down.set(outage.dependency, {
      since: Date.now(),
      reason: outage.message,
      overLimit: false,
    });
    metrics.dependencyPaused.set({ dependency: outage.dependency }, 1);
    metrics.dependencyOutages.inc({ dependency: outage.dependency });
    logger.warn(
      {
        dependency: outage.dependency,
        err: outage.cause,
        ...where,
        alertAfterMs: policy.alertAfterMs,
      },
      'dependency unavailable: consuming paused until it answers (jobs are not charged an attempt)',
    );
    if (!wasPaused) this.emit(true);
    this.schedule(outage.dependency, policy.probeBaseDelayMs);
  }

  private schedule(dependency: Dependency, delayMs: number): void {
    if (this.stopped) return;
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      void this.probe(dependency, delayMs);
    }, delayMs);
    this.timers.add(timer);
  }

  private async probe(dependency: Dependency, delayMs: number): Promise<void> {
    const state = this.down.get(dependency);
    if (state === undefined || this.stopped) return;
    const { logger, metrics, policy, probes } = this.deps;
    const result = await probes[dependency]().catch((error: unknown) =>
      error instanceof Error ? error.message : 'unavailable',
    );
    if (this.stopped) return;
    const elapsedMs = Date.now() - state.since;
    if (result === 'ok') {
      await this.runWhilePaused(state.since);
      this.down.delete(dependency);
      metrics.dependencyPaused.set({ dependency }, 0);
      metrics.dependencyOverLimit.set({ dependency }, 0);
      metrics.dependencyPausedSeconds.inc({ dependency }, elapsedMs / 1000);
      logger.info(
        { dependency, pausedMs: elapsedMs, stillDown: [...this.down.keys()] },
        this.paused
          ? 'dependency answers again; still waiting for the others'
          : 'dependency answers again: consuming resumed',
      );
      if (!this.paused) this.emit(false);
      return;
    }
    state.reason = result;
    if (!state.overLimit && elapsedMs >= policy.alertAfterMs) {
      state.overLimit = true;
      metrics.dependencyOverLimit.set({ dependency }, 1);
      logger.error(
        { dependency, pausedMs: elapsedMs, alertAfterMs: policy.alertAfterMs, reason: result },
        'dependency outage outlasts OUTAGE_ALERT_AFTER_MS: still waiting (no job is failed for it); needs an operator',
      );
    }
    await this.runWhilePaused(state.since);
    this.schedule(dependency, Math.min(delayMs * 2, policy.probeMaxDelayMs));
  }

  private async runWhilePaused(since: number): Promise<void> {
    const hook = this.deps.whilePaused;
    if (hook === undefined) return;
    // Best effort: the hook's own dependency may be the one that is down.
    await hook(new Date(since)).catch(() => {});
  }

  private emit(paused: boolean): void {
    for (const listener of this.listeners) listener(paused);
  }

  /** Stops probing (shutdown); the consumers are being stopped anyway. */
  stop(): void {
    this.stopped = true;
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
  }
}
