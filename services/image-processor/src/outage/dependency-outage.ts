import type { S3Client } from '@aws-sdk/client-s3';
import { DatabaseUnavailableError } from '@zocket/db';

/** The processor's own services whose outage pauses consuming instead of failing jobs. */
export type Dependency = 'postgres' | 's3' | 'redis';

/**
 * One of our own services could not be reached or answered 5xx: the job itself is fine, so it is
 * neither charged an attempt nor retried; the consumer pauses until the service answers again.
 */
export class DependencyOutageError extends Error {
  override readonly name = 'DependencyOutageError';
  /** Set by the job handler: the interrupted delivery had already counted its attempt on the row. */
  attemptCounted = false;
  constructor(
    readonly dependency: Dependency,
    cause: unknown,
  ) {
    const detail = cause instanceof Error ? cause.message : String(cause);
    super(`${dependency} unavailable: ${detail}`.slice(0, 500), { cause });
  }
}

const NETWORK_ERRNOS = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
]);

/** Names the AWS SDK and Node give to a request that never got an answer. */
const NETWORK_NAMES = new Set(['TimeoutError', 'RequestTimeout', 'NetworkingError']);

/** True when an S3 client error means the server is away or failing, not that the request is bad. */
export function isS3Outage(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const e = error as {
    name?: unknown;
    code?: unknown;
    cause?: unknown;
    $metadata?: { httpStatusCode?: unknown };
  };
  const status = e.$metadata?.httpStatusCode;
  if (typeof status === 'number') return status >= 500;
  if (typeof e.code === 'string' && NETWORK_ERRNOS.has(e.code)) return true;
  if (typeof e.name === 'string' && NETWORK_NAMES.has(e.name)) return true;
  // fetch-style errors wrap the socket error in `cause`.
  return e.cause !== undefined && e.cause !== error && isS3Outage(e.cause);
}

/**
 * Rethrows every S3 outage of this client (after the SDK's own retries) as a
 * DependencyOutageError, so a job needs no knowledge of which call reached S3.
 */
export function markS3Outages(s3: S3Client): void {
  s3.middlewareStack.add(
    (next) => async (args) => {
      try {
        return await next(args);
      } catch (error) {
        if (isS3Outage(error) && !isAbort(error)) throw new DependencyOutageError('s3', error);
        throw error;
      }
    },
    { step: 'initialize', name: 'zocketDependencyOutage', priority: 'high' },
  );
}

function isAbort(error: unknown): boolean {
  return (error as { name?: unknown } | null)?.name === 'AbortError';
}

/** Redis replies that mean "not now" rather than "wrong command". */
const REDIS_BUSY = /^(LOADING|READONLY|MASTERDOWN|CLUSTERDOWN|TRYAGAIN|BUSY)\b/;

/** Wraps a Redis failure as an outage unless Redis answered and refused the command itself. */
export function redisOutage(error: unknown): DependencyOutageError | undefined {
  const e = error as { name?: unknown; message?: unknown } | null;
  if (e?.name === 'ReplyError' && !(typeof e.message === 'string' && REDIS_BUSY.test(e.message))) {
    return undefined;
  }
  return new DependencyOutageError('redis', error);
}

/**
 * The dependency outage behind an error, if it is one: a DependencyOutageError, or PostgreSQL
 * unreachable or shutting down (the db package maps such driver errors to DatabaseUnavailableError).
 */
export function dependencyOutage(error: unknown): DependencyOutageError | undefined {
  if (error instanceof DependencyOutageError) return error;
  if (error instanceof DatabaseUnavailableError)
    return new DependencyOutageError('postgres', error);
  return undefined;
}
