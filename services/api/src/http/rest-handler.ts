import type { TRPCError } from '@trpc/server';
import { createOpenApiNodeHttpHandler } from 'trpc-to-openapi';
import { appRouter } from '../trpc/app.router.js';
import type { TrpcContext } from '../trpc/trpc.js';

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
}

/**
 * The REST twin of the procedures (trpc-to-openapi), built once. Its fetch adapter rebuilds the
 * handler for every request, re-validating the whole router outside production: that alone cut
 * REST throughput tenfold in `npm run bench`.
 */
export function createRestHandler(
  onError: (error: TRPCError, ctx: TrpcContext | undefined) => void,
) {
  const contexts = new WeakMap<object, TrpcContext>();
  const handler = createOpenApiNodeHttpHandler({
    router: appRouter,
    createContext: ({ req }: { req: object }) => {
      const ctx = contexts.get(req);
      if (ctx === undefined) throw new Error('REST request without a context');
      return ctx;
    },
    onError: ({ error, ctx }: { error: TRPCError; ctx?: TrpcContext }) => onError(error, ctx),
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
        end: (body?: string) => resolve({ status: res.statusCode, body }),
      };
      void (handler as unknown as (req: object, res: object) => Promise<void>)(req, res);
    });
  };
}
