import { AppError, type ErrorBody, type ErrorCode, HTTP_STATUS_BY_CODE } from '@zocket/contracts';
import type { Context } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { describeError } from '../errors/translate-error.js';

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

/** Anything thrown, as the one error body; what was unexpected is logged and answered 500 without detail. */
export function handleError(error: unknown, c: Context, log: (error: unknown) => void): Response {
  const described = describeError(error);
  if (described.unexpected) log(error);
  return errorResponse(c, described.code, described.message, described.fields);
}

export function payloadTooLarge(limit: number): AppError {
  return new AppError('PAYLOAD_TOO_LARGE', `request body is larger than ${limit} bytes`);
}
