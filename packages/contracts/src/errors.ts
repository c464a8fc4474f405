/** Every error code a client or consumer can see. One union, mapped once at each edge. */
export const ERROR_CODES = [
  'BAD_REQUEST',
  'VALIDATION_FAILED',
  'UNAUTHORIZED',
  'FORBIDDEN',
  'NOT_FOUND',
  'METHOD_NOT_ALLOWED',
  'CONFLICT',
  'PAYLOAD_TOO_LARGE',
  'UNSUPPORTED_MEDIA_TYPE',
  'TOO_MANY_REQUESTS',
  'UNAVAILABLE',
  'INTERNAL',
] as const;
export type ErrorCode = (typeof ERROR_CODES)[number];

/** Why an image ended `failed`. Stored on the image row and carried by image-results events. */
export const IMAGE_FAILURE_CODES = [
  'INVALID_EVENT',
  'SOURCE_NOT_FOUND',
  'SOURCE_REFUSED',
  'SOURCE_TOO_LARGE',
  'SOURCE_TIMEOUT',
  'SOURCE_UNAVAILABLE',
  'UNSUPPORTED_FORMAT',
  'CORRUPT_IMAGE',
  'IMAGE_TOO_LARGE',
  'JOB_TIMEOUT',
  'DEPENDENCY_UNAVAILABLE',
  'RETRIES_EXHAUSTED',
] as const;
export type ImageFailureCode = (typeof IMAGE_FAILURE_CODES)[number];

/** The one REST error body shape: `{ error: { code, message, requestId } }`. */
export interface ErrorBody {
  error: {
    code: ErrorCode;
    message: string;
    requestId: string;
    fields?: Record<string, string[]>;
  };
}

/** HTTP status for each error code; used by REST and by the tRPC error formatter. */
export const HTTP_STATUS_BY_CODE: Record<ErrorCode, number> = {
  BAD_REQUEST: 400,
  VALIDATION_FAILED: 400,
  UNAUTHORIZED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  METHOD_NOT_ALLOWED: 405,
  CONFLICT: 409,
  PAYLOAD_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  TOO_MANY_REQUESTS: 429,
  UNAVAILABLE: 503,
  INTERNAL: 500,
};
