import type { TRPCError } from '@trpc/server';
import { Hono } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { createOpenApiNodeHttpHandler, type OpenApiRouter } from 'trpc-to-openapi';
import type { z } from 'zod';
import type { ApiContext } from '../api-context.js';
import { codeForStatus, describeError } from '../errors/translate-error.js';
import { pinCoercion } from '../trpc/pin-coercion.js';
import type { TrpcContext } from '../trpc/trpc.js';
import { errorResponse } from './errors.js';
import type { HttpEnv } from './middleware.js';
import { createRequestContext, logProcedureError } from './request-context.js';
import type { RouteTable } from './route-table.js';
import { decodeUtf8Body, isJsonContentType, NOT_UTF8 } from './utf8-body.js';

export interface RestRequest {
  method: string;
  /** Path and query string, e.g. `/products?limit=5`. */
  pathAndQuery: string;
  contentType: string | undefined;
  /** The parsed JSON body (undefined for GET). */
  body: unknown;
  signal: AbortSignal;
}

export interface RestResult {
  status: number;
  body: string | undefined;
  /** What the procedure (or the handler) threw, for an error status. */
  error?: TRPCError;
}

/**
 * The REST twin of the procedures (trpc-to-openapi), built once. Its fetch adapter rebuilds the
 * handler for every request, re-validating the whole router outside production: that alone cut
 * REST throughput tenfold in `npm run bench`.
 */
function createRestHandler(
  router: OpenApiRouter,
  onError: (error: TRPCError, ctx: TrpcContext | undefined) => void,
) {
  // The handler turns coercion on in every procedure's input schema (see pinCoercion): pin them all
  // first, so a procedure added later is covered too.
  // At run time `_def.procedures` is flat ('products.create' -> procedure), as trpc-to-openapi
  // walks it; its declared type is the nested router record.
  const procedures = router._def.procedures as unknown as Record<
    string,
    { _def: { inputs: z.ZodType[] } }
  >;
  for (const procedure of Object.values(procedures)) {
    for (const input of procedure._def.inputs) pinCoercion(input);
  }
  const contexts = new WeakMap<object, TrpcContext>();
  const errors = new WeakMap<object, TRPCError>();
  const handler = createOpenApiNodeHttpHandler({
    router,
    createContext: ({ req }: { req: object }) => {
      const ctx = contexts.get(req);
      if (ctx === undefined) throw new Error('REST request without a context');
      return ctx;
    },
    onError: ({ error, ctx, req }: { error: TRPCError; ctx?: TrpcContext; req: object }) => {
      errors.set(req, error);
      onError(error, ctx);
    },
  });

  return (request: RestRequest, ctx: TrpcContext): Promise<RestResult> => {
    // The handler reads method, url, headers, query, body and signal, and recognises a fetch
    // Request by its prototype; a plain object with that prototype avoids building a real one.
    const req = Object.create(Request.prototype, {
      method: { value: request.method },
      url: { value: `http://rest.invalid${request.pathAndQuery}` },
      headers: {
        value: new Headers(
          request.contentType === undefined ? {} : { 'content-type': request.contentType },
        ),
      },
      body: { value: request.body, writable: true },
      query: { value: undefined, writable: true },
      signal: { value: request.signal },
    }) as object;
    contexts.set(req, ctx);
    return new Promise((resolve) => {
      const res = {
        statusCode: 200,
        setHeader: () => {},
        end: (body?: string) => {
          const error = errors.get(req);
          resolve({ status: res.statusCode, body, ...(error === undefined ? {} : { error }) });
        },
      };
      void (handler as unknown as (req: object, res: object) => Promise<void>)(req, res);
    });
  };
}

/**
 * The REST twin of the procedures (trpc-to-openapi) as Hono routes, for every path no other
 * route took, reshaped to the one error body; a method the route table does not list for a path is
 * answered 405 with `Allow`.
 */
export function restRoutes(ctx: ApiContext, router: OpenApiRouter, table: RouteTable) {
  const routes = new Hono<HttpEnv>();
  const rest = createRestHandler(router, (error, trpcCtx) =>
    logProcedureError(ctx.logger, error, trpcCtx?.requestId),
  );

  routes.all('*', async (c) => {
    const method = c.req.method;
    const allow = table.allow(c.req.path);
    if (allow !== undefined && !allow.split(', ').includes(method === 'HEAD' ? 'GET' : method)) {
      c.header('Allow', allow);
      return errorResponse(c, 'METHOD_NOT_ALLOWED', `${method} is not allowed on ${c.req.path}`);
    }
    let body: unknown;
    let contentType = c.req.header('content-type');
    if (method !== 'GET' && method !== 'HEAD') {
      const text = decodeUtf8Body(await c.req.arrayBuffer());
      if (text === undefined) {
        if (isJsonContentType(contentType)) return errorResponse(c, 'BAD_REQUEST', NOT_UTF8);
        // Not JSON: the handler refuses the content type (415) without reading the body.
        body = undefined;
      } else if (text.trim() === '') {
        // Actions whose input is all in the path (POST /products/{id}/reprocess) come without a
        // body; the handler would refuse a missing content type, so they get an empty object.
        body = {};
        contentType = 'application/json';
      } else if (isJsonContentType(contentType)) {
        try {
          body = JSON.parse(text);
        } catch {
          return errorResponse(c, 'BAD_REQUEST', 'malformed JSON body');
        }
        // The handler spreads the body into the procedure's input object: an array or a string
        // would become its indexes and a number nothing, so `[null]` passed for `{}`.
        if (body === null || typeof body !== 'object' || Array.isArray(body)) {
          return errorResponse(c, 'VALIDATION_FAILED', 'the body must be a JSON object', {
            '(input)': ['must be a JSON object'],
          });
        }
      }
    }
    // The raw path and query, still percent-encoded, as the handler expects them.
    const url = c.req.url;
    const pathAndQuery = url.slice(url.indexOf('/', url.indexOf('//') + 2));
    const result = await rest(
      {
        // HEAD is a GET whose body Node leaves out; the handler knows no HEAD procedure (it
        // answered 204).
        method: method === 'HEAD' ? 'GET' : method,
        pathAndQuery,
        contentType,
        body,
        signal: c.req.raw.signal,
      },
      createRequestContext(ctx, c.req.header('authorization'), c.get('requestId')),
    );
    if (result.status < 400) {
      return c.body(result.body ?? '', result.status as ContentfulStatusCode, {
        'content-type': 'application/json',
      });
    }
    if (result.error === undefined) {
      const code = codeForStatus(result.status);
      return errorResponse(c, code, `${method} ${c.req.path} failed`);
    }
    const described = describeError(result.error);
    return errorResponse(c, described.code, described.message, described.fields);
  });

  return routes;
}
