import { TRPCError } from '@trpc/server';
import { getHTTPStatusCodeFromError } from '@trpc/server/http';
import type { TRPC_ERROR_CODE_KEY } from '@trpc/server/rpc';
import { type ErrorCode, HTTP_STATUS_BY_CODE, isAppError } from '@zocket/contracts';
import { HTTPException } from 'hono/http-exception';
import { ZodError } from 'zod';

/**
 * The one code table of the API's edges: each error code's tRPC code (its HTTP status is the
 * wire contract's `HTTP_STATUS_BY_CODE`). Every other direction is derived from it.
 */
const TRPC_CODE_BY_APP_CODE: Record<ErrorCode, TRPC_ERROR_CODE_KEY> = {
  BAD_REQUEST: 'BAD_REQUEST',
  VALIDATION_FAILED: 'BAD_REQUEST',
  UNAUTHORIZED: 'UNAUTHORIZED',
  FORBIDDEN: 'FORBIDDEN',
  NOT_FOUND: 'NOT_FOUND',
  METHOD_NOT_ALLOWED: 'METHOD_NOT_SUPPORTED',
  CONFLICT: 'CONFLICT',
  PAYLOAD_TOO_LARGE: 'PAYLOAD_TOO_LARGE',
  UNSUPPORTED_MEDIA_TYPE: 'UNSUPPORTED_MEDIA_TYPE',
  TOO_MANY_REQUESTS: 'TOO_MANY_REQUESTS',
  UNAVAILABLE: 'SERVICE_UNAVAILABLE',
  INTERNAL: 'INTERNAL_SERVER_ERROR',
};
const APP_CODES = Object.keys(TRPC_CODE_BY_APP_CODE) as ErrorCode[];

/** The tRPC code a domain error is thrown as. */
export function trpcCodeFor(code: ErrorCode): TRPC_ERROR_CODE_KEY {
  return TRPC_CODE_BY_APP_CODE[code];
}

/** The first code answered with `status`; any other client error is BAD_REQUEST. */
export function codeForStatus(status: number): ErrorCode {
  const code = APP_CODES.find((c) => HTTP_STATUS_BY_CODE[c] === status);
  if (code !== undefined) return code;
  return status >= 400 && status < 500 ? 'BAD_REQUEST' : 'INTERNAL';
}

function codeForTrpcError(error: TRPCError): ErrorCode {
  return (
    APP_CODES.find((c) => TRPC_CODE_BY_APP_CODE[c] === error.code) ??
    codeForStatus(getHTTPStatusCodeFromError(error))
  );
}

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

export interface DescribedError {
  code: ErrorCode;
  message: string;
  status: number;
  fields?: Record<string, string[]>;
  /** Not a client's mistake nor a known outage: the caller logs it. */
  unexpected: boolean;
}

function described(
  code: ErrorCode,
  message: string,
  unexpected: boolean,
  fields?: Record<string, string[]>,
): DescribedError {
  return {
    code,
    // Never leak an unexpected error's message (it may carry SQL or a stack) to a client.
    message: code === 'INTERNAL' ? 'internal error' : message,
    status: HTTP_STATUS_BY_CODE[code],
    ...(fields === undefined ? {} : { fields }),
    unexpected,
  };
}

/** The body every edge (tRPC, REST, Hono) answers for whatever was thrown: translated here only. */
export function describeError(error: unknown): DescribedError {
  if (error instanceof TRPCError) {
    if (error.cause instanceof ZodError || isAppError(error.cause))
      return describeError(error.cause);
    const code = codeForTrpcError(error);
    return described(code, error.message, code === 'INTERNAL');
  }
  if (error instanceof ZodError) {
    return described('VALIDATION_FAILED', 'invalid input', false, fieldErrors(error));
  }
  if (isAppError(error)) return described(error.code, error.message, false, error.fields);
  if (error instanceof HTTPException) {
    const code = codeForStatus(error.status);
    return described(code, error.message || code.toLowerCase().replace('_', ' '), false);
  }
  return described('INTERNAL', 'internal error', true);
}
