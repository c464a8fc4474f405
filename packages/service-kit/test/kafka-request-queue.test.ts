import { createRequire } from 'node:module';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { MENDED_KAFKAJS_VERSION, mendKafkaRequestQueue } from '../src/kafka-request-queue.js';

const require = createRequire(import.meta.url);
interface Queue {
  throttledUntil: number;
  throttleCheckTimeoutId: NodeJS.Timeout | null;
  pending: unknown[];
  checkPendingRequests(): void;
  scheduleCheckPendingRequests(): void;
  destroy(): void;
}
const RequestQueue = require('kafkajs/src/network/requestQueue/index.js') as new (options: {
  maxInFlightRequests: number | null;
  requestTimeout: number;
  enforceRequestTimeout: boolean;
  clientId: string;
  broker: string;
  logger: { debug(): void; warn(): void; error(): void; info(): void };
}) => Queue;

const quiet = { debug() {}, warn() {}, error() {}, info() {} };
const newQueue = () =>
  new RequestQueue({
    maxInFlightRequests: null,
    requestTimeout: 30_000,
    enforceRequestTimeout: true,
    clientId: 'mend-test',
    broker: '127.0.0.1:9092',
    logger: quiet,
  });

describe("kafkajs's request queue, mended", () => {
  afterEach(() => vi.restoreAllMocks());

  it('applies to the kafkajs release the project pins', () => {
    const { version } = require('kafkajs/package.json') as { version: string };
    // A new kafkajs release needs the mend re-checked (and maybe dropped), not silently skipped.
    expect(version).toBe(MENDED_KAFKAJS_VERSION);
    expect(mendKafkaRequestQueue()).toBe(true);
  });

  it('arms no timer when nothing is pending or throttled, so an idle connection does not spin', () => {
    mendKafkaRequestQueue();
    const setTimeoutSpy = vi.spyOn(globalThis, 'setTimeout');
    const queue = newQueue();
    queue.checkPendingRequests();
    expect(queue.throttleCheckTimeoutId).toBeNull();
    expect(setTimeoutSpy).not.toHaveBeenCalled();
    queue.destroy();
  });

  it('still re-checks a waiting request when the throttle ends, with a positive delay', () => {
    mendKafkaRequestQueue();
    const setTimeoutSpy = vi.spyOn(globalThis, 'setTimeout');
    const queue = newQueue();
    queue.throttledUntil = Date.now() + 500;
    queue.pending.push({});
    queue.checkPendingRequests();
    expect(queue.throttleCheckTimeoutId).not.toBeNull();
    const delay = setTimeoutSpy.mock.calls[0]?.[1] ?? -1;
    expect(delay).toBeGreaterThan(0);
    expect(delay).toBeLessThanOrEqual(500);
    queue.pending.length = 0;
    queue.destroy();
  });

  it('re-checks a request held back by the in-flight limit after a short interval', () => {
    mendKafkaRequestQueue();
    const setTimeoutSpy = vi.spyOn(globalThis, 'setTimeout');
    const queue = newQueue();
    queue.pending.push({});
    // Not throttled, but the request is still pending (the queue was full when it arrived).
    queue.scheduleCheckPendingRequests();
    expect(setTimeoutSpy.mock.calls[0]?.[1]).toBe(10);
    queue.pending.length = 0;
    queue.destroy();
  });
});
