/**
 * Concurrent callers asking for the same key share one run of `load`: the first starts it, the
 * others await its promise, and the key is free again once it settles (success or failure).
 */
export class SingleFlight<T> {
  private readonly inFlight = new Map<string, Promise<T>>();

  run(key: string, load: () => Promise<T>): Promise<T> {
    const running = this.inFlight.get(key);
    if (running !== undefined) return running;
    const started = load().finally(() => this.inFlight.delete(key));
    this.inFlight.set(key, started);
    return started;
  }

  /** How many loads are running (for tests and metrics). */
  get size(): number {
    return this.inFlight.size;
  }
}
