import { randomUUID } from 'node:crypto';
import type { Logger } from '@zocket/service-kit';
import type { ApiMetrics } from '../observability/metrics.js';

/*
 * What every answered request leaves behind, whichever way it was answered (the Hono middleware
 * or the cached-read fast path in front of it): a request id, metrics and a log line.
 */

/** The request id header, read from the client when valid and always answered. */
export const REQUEST_ID_HEADER = 'X-Request-Id';

const INVALID_REQUEST_ID = /[^\w\-=]/;

/** The client's request id when it is a reasonable one (as Hono's requestId accepts), else a new one. */
export function requestIdFrom(given: string | undefined): string {
  return given === undefined ||
    given.length === 0 ||
    given.length > 255 ||
    INVALID_REQUEST_ID.test(given)
    ? randomUUID()
    : given;
}

export interface RequestLabels {
  route: string;
  method: string;
  status: string;
}

/** Counts and times a request (`started` from performance.now()) and logs it. */
export function createRequestRecorder(metrics: ApiMetrics, logger: Logger) {
  return (labels: RequestLabels, started: number, requestId: string): void => {
    metrics.httpRequests.inc(labels);
    metrics.httpDuration.observe(labels, (performance.now() - started) / 1000);
    if (labels.status.startsWith('5')) {
      logger.warn({ requestId, ...labels }, 'request failed');
    } else if (logger.isLevelEnabled('debug')) {
      logger.debug({ requestId, ...labels }, 'request');
    }
  };
}
export type RequestRecorder = ReturnType<typeof createRequestRecorder>;
