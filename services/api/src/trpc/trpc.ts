import { initTRPC, TRPCError } from '@trpc/server';
import { isAppError } from '@zocket/contracts';
import type { OpenApiMeta } from 'trpc-to-openapi';
import type { AppContext } from '../app-context.js';
import type { AuthUser } from '../auth/authenticator.js';
import { describeError, trpcCodeFor } from '../errors/translate-error.js';

/** Per-request context for procedures. */
export interface TrpcContext {
  app: AppContext;
  requestId: string;
  /** Resolves the bearer token: null when absent, rejects with UNAUTHORIZED when invalid. */
  user: () => Promise<AuthUser | null>;
}

const t = initTRPC
  .context<TrpcContext>()
  .meta<OpenApiMeta>()
  .create({
    isDev: false,
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

/** A present but invalid token is refused even on public procedures. */
const optionalAuth = t.middleware(async ({ ctx, next }) => {
  const user = await ctx.user();
  return next({ ctx: { ...ctx, authUser: user } });
});

export const router = t.router;
export const publicProcedure = t.procedure.use(mapDomainErrors).use(optionalAuth);
export const protectedProcedure = publicProcedure.use(({ ctx, next }) => {
  if (ctx.authUser === null) {
    throw new TRPCError({ code: 'UNAUTHORIZED', message: 'a bearer token is required' });
  }
  return next({ ctx: { ...ctx, authUser: ctx.authUser } });
});
