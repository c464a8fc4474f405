import type { ServerResponse } from 'node:http';
import { getTRPCErrorFromUnknown, TRPCError } from '@trpc/server';
import { getErrorShape, getParseFn } from '@trpc/server/unstable-core-do-not-import';
import {
  AppError,
  type ImageChange,
  isAppError,
  type OnProductChangeInput,
  onProductChangeInput,
} from '@zocket/contracts';
import { DatabaseUnavailableError, findProduct, readImageChanges } from '@zocket/db';
import { inSpan } from '@zocket/telemetry';
import type { ApiContext } from '../api-context.js';
import type { AuthUser } from '../auth/authenticator.js';
import { trpcCodeFor } from '../errors/translate-error.js';
import { logProcedureError } from '../http/request-context.js';
import { appRouter } from '../trpc/app.router.js';
import type { TrpcContext } from '../trpc/trpc.js';
import type { DirectStream } from './live-streams.js';
import { CHANGES_PAGE, type FeedMember, type FeedTicket } from './product-feeds.js';
import {
  CONNECTED_EVENT,
  errorEvent,
  PING_EVENT,
  RETURN_EVENT,
  SSE_HEADERS,
  trackedEvent,
} from './sse-wire.js';

/*
 * `products.onChange` written straight to the socket. tRPC's SSE producer keeps about 38 KB per
 * open stream (async generators, web streams, promises, a ping timer each); this path keeps one
 * small object per stream, shares one PostgreSQL read per product change among the product's
 * subscribers (product-feeds.ts) and pings every stream from one timer (live-streams.ts). The
 * client sees the same procedure: the same bytes on the wire (sse-wire.ts), the same checks in
 * the same order as the router's middlewares (token, then input), the same limits and errors.
 */

const PATH = 'products.onChange';
const parseInput = getParseFn(onProductChangeInput);
/** A client that reads nothing is let go (it reconnects by its last event id) past this backlog. */
const MAX_BUFFERED_BYTES = 1 << 20;
/** Wait after a failed catch-up read before the next. */
const RETRY_MS = 1_000;

/** What the route hands over: the raw request, as tRPC's adapter would read it. */
export interface ProductStreamRequest {
  /** The `input` query parameter, not parsed yet. */
  rawInput: string;
  /** `Last-Event-ID` header, else `lastEventId` or `Last-Event-Id` query parameter. */
  lastEventId: string | undefined;
  requestCtx: TrpcContext;
  /** Headers the app has set so far (request id, CORS) and the security headers. */
  headers: readonly (readonly [string, string])[];
  /** A browser's request (Origin): Vary names Origin too. */
  varyOrigin: boolean;
}

/** The input as tRPC merges it: the last event id from the request goes into an object input. */
function rawInputOf(request: ProductStreamRequest): unknown {
  const input: unknown = JSON.parse(request.rawInput);
  const { lastEventId } = request;
  if (!lastEventId) return input;
  if (typeof input === 'object' && input !== null && !Array.isArray(input)) {
    return { ...input, lastEventId };
  }
  return input ?? { lastEventId };
}

/** Whether the query string is one this path answers; anything else goes to tRPC's handler. */
export function isDirectInput(rawInput: string | undefined): rawInput is string {
  if (rawInput === undefined) return false;
  try {
    JSON.parse(rawInput);
    return true;
  } catch {
    return false; // tRPC answers a malformed input with its own parse error
  }
}

/** The error as the router's middlewares and formatter would have sent it. */
function toTrpcError(error: unknown): TRPCError {
  if (isAppError(error)) {
    return new TRPCError({ code: trpcCodeFor(error.code), message: error.message, cause: error });
  }
  return getTRPCErrorFromUnknown(error);
}

/** Opens the stream on `res` (the Hono route has not written anything to it). */
export async function openProductStream(
  ctx: ApiContext,
  request: ProductStreamRequest,
  res: ServerResponse,
): Promise<void> {
  const { requestCtx } = request;
  let rawInput: unknown;
  const fail = (stream: ProductStream, error: unknown) => {
    const trpcError = toTrpcError(error);
    logProcedureError(ctx.logger, trpcError, requestCtx.requestId, PATH);
    stream.fail(
      getErrorShape({
        config: appRouter._def._config,
        ctx: requestCtx,
        error: trpcError,
        input: rawInput,
        path: PATH,
        type: 'subscription',
      }),
    );
  };
  const stream = new ProductStream(ctx, res, request.headers, request.varyOrigin);
  // The procedure call: the token (optionalAuth), then the input (the input middleware), in the
  // span the router's traceProcedure would have made.
  let called: { input: OnProductChangeInput; user: AuthUser | null };
  try {
    called = await inSpan(
      `trpc ${PATH}`,
      { attributes: { 'rpc.system': 'trpc', 'rpc.method': PATH, 'trpc.type': 'subscription' } },
      async (span) => {
        try {
          rawInput = rawInputOf(request);
          const user = await requestCtx.user();
          try {
            return { input: (await parseInput(rawInput)) as OnProductChangeInput, user };
          } catch (cause) {
            throw new TRPCError({ code: 'BAD_REQUEST', cause });
          }
        } catch (error) {
          span.setAttribute('trpc.error_code', toTrpcError(error).code);
          throw error;
        }
      },
    );
  } catch (error) {
    return fail(stream, error);
  }
  const { input, user } = called;
  // The generator's own checks and reads, as productChanges does them.
  try {
    if (ctx.live.shutdown.aborted) {
      throw new AppError('UNAVAILABLE', 'this server is shutting down');
    }
    stream.acquire(
      user === null ? `addr:${requestCtx.client.address}` : `user:${user.subject}`,
      `conn:${requestCtx.client.connection}`,
    );
    const ticket = stream.join(input.productId);
    if ((await stream.retrying(() => findProduct(ctx.db, input.productId))) === undefined) {
      throw new AppError('NOT_FOUND', `product ${input.productId} not found`);
    }
    let last: number;
    if (input.lastEventId === undefined || input.lastEventId === null) {
      const snapshot = await stream.retrying(() =>
        readImageChanges(ctx.db, input.productId, undefined, CHANGES_PAGE),
      );
      for (const change of snapshot.changes) stream.send(change);
      last = snapshot.through;
    } else {
      last = Number(input.lastEventId);
      // The replay after a reconnect, read by this stream alone, then the shared feed.
      for (;;) {
        const after = last;
        const { changes } = await stream.retrying(() =>
          readImageChanges(ctx.db, input.productId, after, CHANGES_PAGE),
        );
        for (const change of changes) stream.send(change);
        last = changes.at(-1)?.changeSeq ?? last;
        if (
          changes.some((c) => c.image === null) &&
          (await stream.retrying(() => findProduct(ctx.db, input.productId))) === undefined
        ) {
          return stream.finish();
        }
        if (changes.length < CHANGES_PAGE) break;
      }
    }
    if (stream.closed || ticket === undefined) return;
    ctx.live.feeds.caughtUp(ticket, last);
  } catch (error) {
    if (stream.closed) return;
    fail(stream, error);
  }
}

/** One open `products.onChange` response: a feed member the process pings and ends. */
class ProductStream implements FeedMember, DirectStream {
  last = 0;
  live = false;
  lastWrite = Date.now();
  readonly deadline: number;
  closed = false;
  private release: (() => void) | undefined;
  private ticket: FeedTicket | undefined;
  private counted = false;

  constructor(
    private readonly ctx: ApiContext,
    private readonly res: ServerResponse,
    headers: readonly (readonly [string, string])[],
    varyOrigin: boolean,
  ) {
    this.deadline = ctx.live.streams.deadline();
    const flat: string[] = [];
    for (const [name, value] of headers) flat.push(name, value);
    for (const [name, value] of SSE_HEADERS) {
      flat.push(name, name === 'vary' && varyOrigin ? `${value}, Origin` : value);
    }
    res.writeHead(200, flat);
    this.write(CONNECTED_EVENT);
    res.once('close', () => this.cleanUp());
    ctx.live.streams.add(this);
  }

  /** Takes the subscription's slots (refuses with TOO_MANY_REQUESTS above a limit). */
  acquire(userKey: string, connectionKey: string): void {
    this.release = this.ctx.live.limits.acquire(userKey, connectionKey);
    this.ctx.metrics.liveSubscriptions.inc();
    this.counted = true;
  }

  join(productId: string): FeedTicket | undefined {
    if (this.closed) return undefined;
    this.ticket = this.ctx.live.feeds.join(productId, this);
    return this.ticket;
  }

  /** Runs a read, again after a pause while PostgreSQL is unavailable (a reconnect storm, say). */
  async retrying<T>(run: () => Promise<T>): Promise<T> {
    for (;;) {
      try {
        return await run();
      } catch (error) {
        if (!(error instanceof DatabaseUnavailableError) || this.closed) throw error;
        this.ctx.logger.warn({ err: error }, 'live read failed; trying again');
        await new Promise((resolve) => setTimeout(resolve, RETRY_MS));
      }
    }
  }

  send(change: ImageChange, event = trackedEvent(String(change.changeSeq), change)): void {
    this.last = change.changeSeq;
    this.write(event);
  }

  ping(): void {
    this.write(PING_EVENT);
  }

  finish(): void {
    this.write(RETURN_EVENT);
    this.end();
  }

  fail(shape: unknown): void {
    this.write(errorEvent(shape));
    this.end();
  }

  end(): void {
    if (!this.res.writableEnded) this.res.end();
    this.cleanUp();
  }

  private write(text: string): void {
    if (this.closed || this.res.writableEnded) return;
    this.lastWrite = Date.now();
    this.res.write(text);
    if (this.res.writableLength > MAX_BUFFERED_BYTES) this.end();
  }

  private cleanUp(): void {
    if (this.closed) return;
    this.closed = true;
    this.live = false;
    this.ctx.live.streams.remove(this);
    if (this.ticket !== undefined) this.ctx.live.feeds.leave(this.ticket);
    if (this.counted) this.ctx.metrics.liveSubscriptions.dec();
    this.release?.();
  }
}
