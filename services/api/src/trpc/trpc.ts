import { initTRPC, TRPCError } from '@trpc/server';
import type { TRPC_ERROR_CODE_KEY } from '@trpc/server/rpc';
import { type ErrorCode, HTTP_STATUS_BY_CODE, isAppError } from '@zocket/contracts';
import type { OpenApiMeta } from 'trpc-to-openapi';
import { ZodError } from 'zod';
import type { ApiContext } from '../api-context.js';
import type { AuthUser } from '../auth/authenticator.js';

/** Per-request context for procedures. */
export interface TrpcContext {
  api: ApiContext;
  requestId: string;
  /** Resolves the bearer token: null when absent, rejects with UNAUTHORIZED when invalid. */
  user: () => Promise<AuthUser | null>;
}

const TRPC_CODE_BY_APP_CODE: Record<ErrorCode, TRPC_ERROR_CODE_KEY> = {
  BAD_REQUEST: 'BAD_REQUEST',
  VALIDATION_FAILED: 'BAD_REQUEST',
  UNAUTHORIZED: 'UNAUTHORIZED',
  NOT_FOUND: 'NOT_FOUND',
  CONFLICT: 'CONFLICT',
  PAYLOAD_TOO_LARGE: 'PAYLOAD_TOO_LARGE',
  UNSUPPORTED_MEDIA_TYPE: 'UNSUPPORTED_MEDIA_TYPE',
  UNAVAILABLE: 'SERVICE_UNAVAILABLE',
  INTERNAL: 'INTERNAL_SERVER_ERROR',
};

const APP_CODE_BY_TRPC_CODE: Partial<Record<TRPC_ERROR_CODE_KEY, ErrorCode>> = {
  PARSE_ERROR: 'BAD_REQUEST',
  BAD_REQUEST: 'BAD_REQUEST',
  UNAUTHORIZED: 'UNAUTHORIZED',
  NOT_FOUND: 'NOT_FOUND',
  METHOD_NOT_SUPPORTED: 'BAD_REQUEST',
  CONFLICT: 'CONFLICT',
  PAYLOAD_TOO_LARGE: 'PAYLOAD_TOO_LARGE',
  UNSUPPORTED_MEDIA_TYPE: 'UNSUPPORTED_MEDIA_TYPE',
  UNPROCESSABLE_CONTENT: 'VALIDATION_FAILED',
  SERVICE_UNAVAILABLE: 'UNAVAILABLE',
};

/** Zod issues as `{ "price.amountMinor": ["must not be negative"] }`. */
function fieldErrors(error: ZodError): Record<string, string[]> {
  const fields: Record<string, string[]> = {};
  for (const issue of error.issues) {
    const path = issue.path.map(String).join('.') || '(input)';
    const messages = fields[path] ?? [];
    messages.push(issue.message);
    fields[path] = messages;
  }
  return fields;
}

/** The body every edge returns for an error, computed once from whatever was thrown. */
function describeError(error: TRPCError): {
  code: ErrorCode;
  message: string;
  status: number;
  fields?: Record<string, string[]>;
} {
  const cause = error.cause;
  if (cause instanceof ZodError) {
    return {
      code: 'VALIDATION_FAILED',
      message: 'invalid input',
      status: 400,
      fields: fieldErrors(cause),
    };
  }
  if (isAppError(cause)) {
    return {
      code: cause.code,
      message: cause.code === 'INTERNAL' ? 'internal error' : cause.message,
      status: HTTP_STATUS_BY_CODE[cause.code],
      ...(cause.fields === undefined ? {} : { fields: cause.fields }),
    };
  }
  const code = APP_CODE_BY_TRPC_CODE[error.code] ?? 'INTERNAL';
  return {
    code,
    // Never leak an unexpected error's message (it may carry SQL or a stack) to a client.
    message: code === 'INTERNAL' ? 'internal error' : error.message,
    status: HTTP_STATUS_BY_CODE[code],
  };
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
    throw new TRPCError({ code: TRPC_CODE_BY_APP_CODE[cause.code], message: cause.message, cause });
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
