import { TRPCClientError } from '@trpc/client';

export type ProblemKind =
  | 'offline'
  | 'unauthorized'
  | 'forbidden'
  | 'not-found'
  | 'conflict'
  | 'invalid'
  | 'missing-procedure'
  | 'unavailable'
  | 'other';

export interface Problem {
  kind: ProblemKind;
  message: string;
  /** Per-field messages from a VALIDATION_FAILED answer. */
  fields: Record<string, string[]>;
}

interface ErrorData {
  appCode?: string;
  code?: string;
  fields?: Record<string, string[]> | null;
}

/** Turns whatever a call threw into what the page should say about it. */
export function describeProblem(error: unknown): Problem {
  if (error instanceof TRPCClientError) {
    const data = (error.data ?? undefined) as ErrorData | undefined;
    const fields = data?.fields ?? {};
    // An SSE subscription to a path the API does not have fails its connection with HTTP 404
    // (the eventsource ponyfill's error event carries the status as `code`).
    const cause = error.cause as { code?: unknown; message?: unknown } | undefined;
    if (data === undefined && (cause?.code === 404 || /\(404\)/.test(String(cause?.message)))) {
      return { kind: 'missing-procedure', message: 'No procedure found on this path', fields };
    }
    if (data === undefined) {
      // No tRPC error body: the request never reached the API (or its answer was not tRPC).
      return { kind: 'offline', message: 'The API cannot be reached.', fields };
    }
    if (/No procedure found on path/i.test(error.message)) {
      return { kind: 'missing-procedure', message: error.message, fields };
    }
    const kind: ProblemKind =
      data.appCode === 'UNAUTHORIZED'
        ? 'unauthorized'
        : data.code === 'FORBIDDEN'
          ? 'forbidden'
          : data.appCode === 'NOT_FOUND'
            ? 'not-found'
            : data.appCode === 'CONFLICT'
              ? 'conflict'
              : data.appCode === 'VALIDATION_FAILED' || data.appCode === 'BAD_REQUEST'
                ? 'invalid'
                : data.appCode === 'UNAVAILABLE'
                  ? 'unavailable'
                  : 'other';
    return { kind, message: error.message, fields };
  }
  if (error instanceof TypeError) {
    return { kind: 'offline', message: 'The API cannot be reached.', fields: {} };
  }
  return {
    kind: 'other',
    message: error instanceof Error ? error.message : String(error),
    fields: {},
  };
}
