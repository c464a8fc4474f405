import type { Socket } from 'node:net';
import type { HttpBindings } from '@hono/node-server';
import type { TRPCError } from '@trpc/server';
import type { Logger } from '@zocket/service-kit';
import type { ApiContext } from '../api-context.js';
import type { TrpcContext } from '../trpc/trpc.js';

/** The per-request context of a procedure; the bearer token is resolved once, on first use. */
export function createRequestContext(
  ctx: ApiContext,
  authorization: string | undefined,
  requestId: string,
  client: TrpcContext['client'] = { address: 'unknown', connection: 'unknown' },
): TrpcContext {
  let user: ReturnType<TrpcContext['user']> | undefined;
  return {
    api: ctx,
    requestId,
    client,
    user: () => {
      user ??= ctx.authenticate(authorization);
      return user;
    },
  };
}

let connections = 0;
const connectionIds = new WeakMap<Socket, string>();

/** The client's address and a stable key for its TCP connection (limits of subscriptions). */
export function clientOf(env: Partial<HttpBindings> | undefined): TrpcContext['client'] {
  const socket = env?.incoming?.socket;
  if (socket === undefined) return { address: 'in-process', connection: 'in-process' };
  let connection = connectionIds.get(socket);
  if (connection === undefined) {
    connections += 1;
    connection = String(connections);
    connectionIds.set(socket, connection);
  }
  return { address: socket.remoteAddress ?? 'unknown', connection };
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
