import { SSE_OPTIONS } from '../trpc/trpc.js';

/*
 * tRPC's server-sent-event wire format (@trpc/server 11, `stream/sse.ts`), written by hand for the
 * direct `products.onChange` stream: every event is its fields, one per line (`event:`, `data:`,
 * `id:`, in that order), then two more newlines. The tests compare these bytes with what tRPC's
 * own producer sends for the same subscription.
 */

/** The headers tRPC's fetch adapter sends with a subscription stream (besides the app's own). */
export const SSE_HEADERS: readonly (readonly [string, string])[] = [
  ['content-type', 'text/event-stream'],
  ['cache-control', 'no-cache, no-transform'],
  ['x-accel-buffering', 'no'],
  ['connection', 'keep-alive'],
  ['vary', 'trpc-accept, accept'],
];

/** The first event: the client's options (its reconnect-after-inactivity time). */
export const CONNECTED_EVENT = `event: connected\ndata: ${JSON.stringify(SSE_OPTIONS.client)}\n\n\n`;
/** Sent when nothing else was for the ping interval. */
export const PING_EVENT = 'event: ping\ndata: \n\n\n';
/** The procedure ended on its own: the client completes and does not reconnect. */
export const RETURN_EVENT = 'event: return\ndata: \n\n\n';
/** The ping interval of tRPC's settings. */
export const PING_INTERVAL_MS = SSE_OPTIONS.ping.intervalMs;

/** A value tracked by `id` (what `tracked(id, data)` yields). */
export function trackedEvent(id: string, data: unknown): string {
  return `data: ${JSON.stringify(data)}\nid: ${id}\n\n\n`;
}

/** The procedure failed: the error shape made by the router's formatter. */
export function errorEvent(shape: unknown): string {
  return `event: serialized-error\ndata: ${JSON.stringify(shape)}\n\n\n`;
}
