import type { TRPCError } from '@trpc/server';
import type { AppContext } from '../app-context.js';
import type { Logger } from '../observability/logger.js';
import type { TrpcContext } from '../trpc/trpc.js';

/** The per-request context of a procedure; the bearer token is resolved once, on first use. */
export function createRequestContext(
  ctx: AppContext,
  authorization: string | undefined,
  requestId: string,
): TrpcContext {
  let user: ReturnType<TrpcContext['user']> | undefined;
  return {
    app: ctx,
    requestId,
    user: () => {
      user ??= ctx.authenticate(authorization);
      return user;
    },
  };
}

/** Only unexpected failures are logged: every other error is the client's and is answered. */
export function logProcedureError(
  logger: Logger,
  error: TRPCError,
  requestId: string | undefined,
  path?: string,
): void {
  if (error.code === 'INTERNAL_SERVER_ERROR') {
    logger.error({ err: error.cause ?? error, path, requestId }, 'procedure failed');
  }
}
