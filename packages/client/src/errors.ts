import { TRPCClientError } from '@trpc/client';
import type { AppRouter } from '@zocket/api';
import type { ErrorCode } from '@zocket/contracts';

/** The API's error codes, plus `NETWORK` when no answer from the API arrived at all. */
export type ZocketErrorCode = ErrorCode | 'NETWORK';

/** What a failed call means, in the API's terms. */
export interface ZocketErrorInfo {
  code: ZocketErrorCode;
  message: string;
  /** The HTTP status the API answered with; null without an answer. */
  httpStatus: number | null;
  /** The API's request id, for its logs; null without an answer. */
  requestId: string | null;
  /** Per-field messages of a VALIDATION_FAILED answer (`"price.amountMinor"`). */
  fields: Record<string, string[]>;
}

/** A call's rejection as the router types it: `error.data.appCode` is one of the API's codes. */
export type ZocketTRPCError = TRPCClientError<AppRouter>;

/** True when the API answered with an error (of `code`, when given). */
export function isZocketError(error: unknown, code?: ErrorCode): error is ZocketTRPCError {
  if (!(error instanceof TRPCClientError)) return false;
  const appCode = (error as ZocketTRPCError).data?.appCode;
  if (appCode === undefined || appCode === null) return false;
  return code === undefined || appCode === code;
}

/**
 * Any rejection of a call turned into the API's error union: the API's own code when it answered,
 * NETWORK when the request or the stream never got an answer from it.
 */
export function zocketError(error: unknown): ZocketErrorInfo {
  if (isZocketError(error)) {
    const data = error.data;
    return {
      code: data?.appCode ?? 'INTERNAL',
      message: error.message,
      httpStatus: data?.httpStatus ?? null,
      requestId: data?.requestId ?? null,
      fields: data?.fields ?? {},
    };
  }
  const message = error instanceof Error ? error.message : String(error);
  return { code: 'NETWORK', message, httpStatus: null, requestId: null, fields: {} };
}
