import type { TRPCError } from '@trpc/server';
import { createOpenApiNodeHttpHandler } from 'trpc-to-openapi';
import type { z } from 'zod';
import { appRouter } from '../trpc/app.router.js';
import { pinCoercion } from '../trpc/pin-coercion.js';
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
  // The handler turns coercion on in every procedure's input schema (see pinCoercion): pin them all
  // first, so a procedure added later is covered too.
  // At run time `_def.procedures` is flat ('products.create' -> procedure), as trpc-to-openapi
  // walks it; its declared type is the nested router record.
  const procedures = appRouter._def.procedures as unknown as Record<
    string,
    { _def: { inputs: z.ZodType[] } }
  >;
  for (const procedure of Object.values(procedures)) {
    for (const input of procedure._def.inputs) pinCoercion(input);
  }
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
