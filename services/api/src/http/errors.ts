import {
  AppError,
  type ErrorBody,
  type ErrorCode,
  HTTP_STATUS_BY_CODE,
  isAppError,
} from '@zocket/contracts';
import type { Context } from 'hono';
import { HTTPException } from 'hono/http-exception';
import type { ContentfulStatusCode } from 'hono/utils/http-status';

/** The one REST error body: `{ error: { code, message, requestId, fields? } }`. */
export function errorResponse(
  c: Context,
  code: ErrorCode,
  message: string,
  fields?: Record<string, string[]>,
): Response {
  const body: ErrorBody = {
    error: {
      code,
      message,
      requestId: c.get('requestId') ?? '',
      ...(fields === undefined ? {} : { fields }),
    },
  };
  return c.json(body, HTTP_STATUS_BY_CODE[code] as ContentfulStatusCode);
}

/** Hono's onError: domain errors by code; anything unexpected is logged and answered 500 without detail. */
export function handleError(error: Error, c: Context, log: (error: unknown) => void): Response {
  if (isAppError(error)) {
    return errorResponse(
      c,
      error.code,
      error.code === 'INTERNAL' ? 'internal error' : error.message,
      error.fields,
    );
  }
  if (error instanceof HTTPException) {
    const code: ErrorCode =
      error.status === 413
        ? 'PAYLOAD_TOO_LARGE'
        : error.status === 401
          ? 'UNAUTHORIZED'
          : 'BAD_REQUEST';
    return errorResponse(c, code, error.message || code.toLowerCase().replace('_', ' '));
  }
  log(error);
  return errorResponse(c, 'INTERNAL', 'internal error');
}

export function payloadTooLarge(limit: number): AppError {
  return new AppError('PAYLOAD_TOO_LARGE', `request body is larger than ${limit} bytes`);
}
