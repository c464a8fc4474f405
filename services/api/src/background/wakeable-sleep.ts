/** A sleep a background loop can cut short: `wake()` ends the sleep in progress, if any. */
export class WakeableSleep {
  private wakeUp: (() => void) | undefined;

  sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      const wake = () => {
        this.wakeUp = undefined;
        done();
      };
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.wakeUp = wake;
    });
  }

  /** Ends the sleep in progress at once (a no-op when the loop is not sleeping). */
  wake(): void {
    this.wakeUp?.();
  }
}
