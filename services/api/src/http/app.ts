import type { TRPCError } from '@trpc/server';
import { ERROR_CODES, type ErrorCode } from '@zocket/contracts';
import { Hono } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import type { AppContext } from '../app-context.js';
import { errorResponse, handleError } from './errors.js';
import { type HttpEnv, useMiddleware } from './middleware.js';
import { createRequestContext, logProcedureError } from './request-context.js';
import { createRestHandler } from './rest-handler.js';
import { opsRoutes } from './routes/ops.js';
import { trpcRoutes } from './routes/trpc.js';
import { uploadRoutes } from './routes/uploads.js';

/** The HTTP surface: tRPC at /trpc, its REST twin, uploads, health, metrics, OpenAPI. */
export function createHttpApp(ctx: AppContext) {
  const { logger } = ctx;
  const app = new Hono<HttpEnv>();

  const createContext = (authorization: string | undefined, id: string) =>
    createRequestContext(ctx, authorization, id);
  const logError = (error: TRPCError, requestId: string | undefined, path?: string) =>
    logProcedureError(logger, error, requestId, path);
  const rest = createRestHandler((error, trpcCtx) => logError(error, trpcCtx?.requestId));

  useMiddleware(app, ctx);
  app.onError((error, c) =>
    handleError(error, c, (e) =>
      logger.error({ err: e, requestId: c.get('requestId') }, 'unhandled error'),
    ),
  );
  app.notFound((c) => errorResponse(c, 'NOT_FOUND', `no route for ${c.req.method} ${c.req.path}`));

  app.route('/', opsRoutes(ctx));

  app.route('/', trpcRoutes(ctx));
  app.route('/', uploadRoutes(ctx));

  // Everything else is the REST twin of the procedures, reshaped to the one error body.
  app.all('*', async (c) => {
    const method = c.req.method;
    let body: unknown;
    let contentType = c.req.header('content-type');
    if (method !== 'GET' && method !== 'HEAD') {
      const text = await c.req.text();
      if (text.trim() === '') {
        // Actions whose input is all in the path (POST /products/{id}/reprocess) come without a
        // body; the handler would refuse a missing content type, so they get an empty object.
        body = {};
        contentType = 'application/json';
      } else if (contentType?.toLowerCase().startsWith('application/json')) {
        try {
          body = JSON.parse(text);
        } catch {
          return errorResponse(c, 'BAD_REQUEST', 'malformed JSON body');
        }
      }
    }
    // The raw path and query, still percent-encoded, as the handler expects them.
    const url = c.req.url;
    const pathAndQuery = url.slice(url.indexOf('/', url.indexOf('//') + 2));
    const result = await rest(
      {
        method,
        pathAndQuery,
        contentType,
        body,
        signal: c.req.raw.signal,
      },
      createContext(c.req.header('authorization'), c.get('requestId')),
    );
    if (result.status < 400) {
      return c.body(result.body ?? '', result.status as ContentfulStatusCode, {
        'content-type': 'application/json',
      });
    }
    const error = JSON.parse(result.body ?? '{}') as {
      message?: string;
      data?: { appCode?: string; fields?: Record<string, string[]> | null };
    };
    const appCode = error.data?.appCode;
    if (appCode !== undefined && (ERROR_CODES as readonly string[]).includes(appCode)) {
      return errorResponse(
        c,
        appCode as ErrorCode,
        error.message ?? 'error',
        error.data?.fields ?? undefined,
      );
    }
    if (result.status === 404) {
      return errorResponse(c, 'NOT_FOUND', `no route for ${method} ${c.req.path}`);
    }
    return errorResponse(
      c,
      result.status === 400 ? 'BAD_REQUEST' : 'INTERNAL',
      error.message ?? 'error',
    );
  });

  return app;
}
