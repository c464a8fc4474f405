import { type ImageFailureCode, isAppError } from '@zocket/contracts';
import { FetchError } from '../fetch/safe-fetch.js';
import { ImageError } from '../pipeline/image-pipeline.js';

/** What went wrong with a job, in words fit for the image row, and whether a retry can help. */
export interface Failure {
  code: ImageFailureCode;
  message: string;
  retryable: boolean;
}

/** The source object of an upload is gone: retrying cannot help. */
export class SourceMissingError extends Error {
  override readonly name = 'SourceMissingError';
}

/** The job ran past its deadline. Retried: the machine may just have been busy. */
export class JobTimeoutError extends Error {
  override readonly name = 'JobTimeoutError';
}

function s3Status(error: unknown): number | undefined {
  const meta = (error as { $metadata?: { httpStatusCode?: unknown } } | null)?.$metadata;
  return typeof meta?.httpStatusCode === 'number' ? meta.httpStatusCode : undefined;
}

/** The one consumer error classifier: permanent failures end the job, transient ones retry it. */
export function classifyError(error: unknown): Failure {
  if (error instanceof FetchError || error instanceof ImageError) {
    return { code: error.code, message: error.message, retryable: error.retryable };
  }
  if (error instanceof SourceMissingError) {
    return { code: 'SOURCE_NOT_FOUND', message: error.message, retryable: false };
  }
  if (error instanceof JobTimeoutError) {
    return { code: 'JOB_TIMEOUT', message: error.message, retryable: true };
  }
  const status = s3Status(error);
  const detail = error instanceof Error ? error.message : String(error);
  if (status !== undefined) {
    return {
      code: 'DEPENDENCY_UNAVAILABLE',
      message: `object storage answered ${status}: ${detail}`.slice(0, 500),
      retryable: true,
    };
  }
  if (isAppError(error)) {
    return { code: 'DEPENDENCY_UNAVAILABLE', message: error.message, retryable: true };
  }
  // Unknown errors (network, driver, a bug) are retried: the attempt limit bounds the cost.
  return { code: 'DEPENDENCY_UNAVAILABLE', message: detail.slice(0, 500), retryable: true };
}

/** Exponential backoff with ±20 % jitter, for the attempt that just failed (1-based). */
export function retryDelayMs(
  attempt: number,
  policy: { retryBaseDelayMs: number; retryMaxDelayMs: number },
  random: () => number = Math.random,
): number {
  const base = Math.min(policy.retryBaseDelayMs * 2 ** (attempt - 1), policy.retryMaxDelayMs);
  return Math.round(base * (0.8 + 0.4 * random()));
}
