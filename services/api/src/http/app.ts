import type { TRPCError } from '@trpc/server';
import { fetchRequestHandler } from '@trpc/server/adapters/fetch';
import { ERROR_CODES, type ErrorCode } from '@zocket/contracts';
import { Hono } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import type { AppContext } from '../app-context.js';
import { filesFromForm, parseProductId, uploadImages } from '../products/products.service.js';
import { appRouter } from '../trpc/app.router.js';
import type { TrpcContext } from '../trpc/trpc.js';
import { errorResponse, handleError } from './errors.js';
import { type HttpEnv, isMultipart, useMiddleware } from './middleware.js';
import { createRestHandler } from './rest-handler.js';
import { opsRoutes } from './routes/ops.js';

/** The HTTP surface: tRPC at /trpc, its REST twin, uploads, health, metrics, OpenAPI. */
export function createHttpApp(ctx: AppContext) {
  const { config, logger } = ctx;
  const app = new Hono<HttpEnv>();

  const createContext = (authorization: string | undefined, id: string): TrpcContext => {
    let user: ReturnType<TrpcContext['user']> | undefined;
    return {
      app: ctx,
      requestId: id,
      user: () => {
        user ??= ctx.authenticate(authorization);
        return user;
      },
    };
  };
  const logProcedureError = (error: TRPCError, requestId: string | undefined, path?: string) => {
    if (error.code === 'INTERNAL_SERVER_ERROR') {
      logger.error({ err: error.cause ?? error, path, requestId }, 'procedure failed');
    }
  };
  const rest = createRestHandler((error, trpcCtx) => logProcedureError(error, trpcCtx?.requestId));

  useMiddleware(app, ctx);
  app.onError((error, c) =>
    handleError(error, c, (e) =>
      logger.error({ err: e, requestId: c.get('requestId') }, 'unhandled error'),
    ),
  );
  app.notFound((c) => errorResponse(c, 'NOT_FOUND', `no route for ${c.req.method} ${c.req.path}`));

  app.route('/', opsRoutes(ctx));

  app.all('/trpc/*', (c) =>
    fetchRequestHandler({
      endpoint: '/trpc',
      req: c.req.raw,
      router: appRouter,
      // Each call in a batch is a procedure run: a bound keeps one request from fanning out.
      maxBatchSize: config.http.trpcMaxBatchSize,
      createContext: () => createContext(c.req.header('authorization'), c.get('requestId')),
      onError: ({ error, path }) => logProcedureError(error, c.get('requestId'), path),
    }),
  );

  app.post('/products/:id/images', async (c) => {
    const trpcCtx = createContext(c.req.header('authorization'), c.get('requestId'));
    const user = await trpcCtx.user();
    if (user === null) return errorResponse(c, 'UNAUTHORIZED', 'a bearer token is required');
    if (!isMultipart(c.req.header('content-type'))) {
      return errorResponse(
        c,
        'UNSUPPORTED_MEDIA_TYPE',
        'expected multipart/form-data with field "files"',
      );
    }
    const id = c.req.param('id');
    let form: FormData;
    try {
      form = await c.req.formData();
    } catch {
      return errorResponse(c, 'BAD_REQUEST', 'malformed multipart body');
    }
    const product = await uploadImages(
      ctx,
      { user, requestId: c.get('requestId') },
      parseProductId(id),
      await filesFromForm(form),
    );
    return c.json(product);
  });

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
