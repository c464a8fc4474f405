import { createRequire } from 'node:module';

/** The part of kafkajs's (internal) RequestQueue that the mend touches. */
interface RequestQueueInternals {
  throttledUntil: number;
  throttleCheckTimeoutId: NodeJS.Timeout | null;
  pending: unknown[];
  checkPendingRequests(): void;
  scheduleCheckPendingRequests(): void;
}

/** kafkajs's own interval for re-checking requests held back by the in-flight limit. */
const CHECK_PENDING_REQUESTS_INTERVAL_MS = 10;
/** The only kafkajs release the mend is written against; another one is left as it is. */
export const MENDED_KAFKAJS_VERSION = '2.2.4';

const require = createRequire(import.meta.url);
let mended = false;

/**
 * kafkajs 2.2.4 (its last release) re-arms a timer after every check of its request queue, with
 * a negative delay when nothing is pending or throttled: every broker connection then spins a
 * 1 ms timer loop for as long as it is open, and Node 24 prints a TimeoutNegativeWarning for it.
 * This replaces that one method with the fix proposed upstream (tulios/kafkajs#1768): re-arm only
 * while a request waits or a throttle is in force. Idempotent; returns whether the mend is in.
 */
export function mendKafkaRequestQueue(): boolean {
  if (mended) return true;
  const { version } = require('kafkajs/package.json') as { version: string };
  if (version !== MENDED_KAFKAJS_VERSION) return false;
  const RequestQueue = require('kafkajs/src/network/requestQueue/index.js') as {
    prototype: RequestQueueInternals;
  };
  RequestQueue.prototype.scheduleCheckPendingRequests = function schedule(
    this: RequestQueueInternals,
  ) {
    if (this.throttleCheckTimeoutId) return;
    let delay = this.throttledUntil - Date.now();
    if (this.pending.length > 0) {
      delay = delay > 0 ? delay : CHECK_PENDING_REQUESTS_INTERVAL_MS;
    } else if (delay <= 0) {
      // Nothing waits and nothing is throttled: the next push or response checks again.
      return;
    }
    this.throttleCheckTimeoutId = setTimeout(() => {
      this.throttleCheckTimeoutId = null;
      this.checkPendingRequests();
    }, delay);
  };
  mended = true;
  return true;
}
