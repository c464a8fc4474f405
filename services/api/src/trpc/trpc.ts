import { initTRPC, TRPCError } from '@trpc/server';
import { isAppError } from '@zocket/contracts';
import { inSpan } from '@zocket/telemetry';
import type { OpenApiMeta } from 'trpc-to-openapi';
import type { ApiContext } from '../api-context.js';
import { type AuthUser, isOperator } from '../auth/authenticator.js';
import { describeError, trpcCodeFor } from '../errors/translate-error.js';

/** Per-request context for procedures. */
export interface TrpcContext {
  api: ApiContext;
  requestId: string;
  /** The client's address (limit key of anonymous subscribers) and a key of its TCP connection. */
  client: { address: string; connection: string };
  /** Resolves the bearer token: null when absent, rejects with UNAUTHORIZED when invalid. */
  user: () => Promise<AuthUser | null>;
}

/** tRPC's SSE settings, shared with the direct writer of `products.onChange` (live/sse-wire.ts). */
export const SSE_OPTIONS = {
  ping: { enabled: true, intervalMs: 15_000 },
  client: { reconnectAfterInactivityMs: 45_000 },
} as const;

const t = initTRPC
  .context<TrpcContext>()
  .meta<OpenApiMeta>()
  .create({
    isDev: false,
    // SSE subscriptions: a ping well inside proxies' idle timeouts (ingress-nginx: 60 s); the
    // maximum duration is enforced per process by LiveStreams (LIVE_MAX_DURATION_MS).
    sse: SSE_OPTIONS,
    errorFormatter({ shape, error, ctx }) {
      const described = describeError(error);
      return {
        message: described.message,
        code: shape.code,
        data: {
          code: shape.data.code,
          httpStatus: described.status,
          path: shape.data.path,
          appCode: described.code,
          requestId: ctx?.requestId ?? null,
          fields: described.fields ?? null,
        },
      };
    },
  });

/** Domain errors become the matching tRPC error, once, here. */
const mapDomainErrors = t.middleware(async ({ next }) => {
  const result = await next();
  if (!result.ok && isAppError(result.error.cause)) {
    const cause = result.error.cause;
    throw new TRPCError({ code: trpcCodeFor(cause.code), message: cause.message, cause });
  }
  return result;
});

/**
 * The same translation for a subscription: its generator runs after the middlewares returned.
 * A code a client must not retry (NOT_FOUND, TOO_MANY_REQUESTS) ends its subscription; UNAVAILABLE
 * makes it reconnect.
 */
export async function* withDomainErrors<T, R>(source: AsyncGenerator<T, R>): AsyncGenerator<T, R> {
  try {
    return yield* source;
  } catch (error) {
    if (!isAppError(error)) throw error;
    throw new TRPCError({
      code: trpcCodeFor(error.code),
      message: error.message,
      cause: error,
    });
  }
}

/** A present but invalid token is refused even on public procedures. */
const optionalAuth = t.middleware(async ({ ctx, next }) => {
  const user = await ctx.user();
  return next({ ctx: { ...ctx, authUser: user } });
});

/**
 * One span per procedure call, named for it (a batch request has one per call, REST twins too).
 * A failed call's error is left to the formatter: the span only carries its tRPC code.
 */
const traceProcedure = t.middleware(({ path, type, next }) =>
  inSpan(
    `trpc ${path}`,
    { attributes: { 'rpc.system': 'trpc', 'rpc.method': path, 'trpc.type': type } },
    async (span) => {
      const result = await next();
      if (!result.ok) span.setAttribute('trpc.error_code', result.error.code);
      return result;
    },
  ),
);

export const router = t.router;
export const publicProcedure = t.procedure
  .use(traceProcedure)
  .use(mapDomainErrors)
  .use(optionalAuth);
export const protectedProcedure = publicProcedure.use(({ ctx, next }) => {
  if (ctx.authUser === null) {
    throw new TRPCError({ code: 'UNAUTHORIZED', message: 'a bearer token is required' });
  }
  return next({ ctx: { ...ctx, authUser: ctx.authUser } });
});

/** Operators only (a `roles` claim containing "operator"): FORBIDDEN (REST 403) otherwise. */
export const operatorProcedure = protectedProcedure.use(({ ctx, next }) => {
  if (!isOperator(ctx.authUser)) {
    throw new TRPCError({ code: 'FORBIDDEN', message: 'this needs the operator role' });
  }
  return next();
});
