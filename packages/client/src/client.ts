import {
  createTRPCClient,
  httpBatchLink,
  httpLink,
  httpSubscriptionLink,
  isNonJsonSerializable,
  splitLink,
  type TRPCClient,
} from '@trpc/client';
import type { AppRouter } from '@zocket/api';
import { EventSource as EventSourcePonyfill } from 'eventsource';

/** A bearer token, or null to call anonymously (reads and subscriptions are public). */
export type TokenSource = () => string | null | undefined | Promise<string | null | undefined>;

export interface ZocketClientOptions {
  /** The API's origin (`http://127.0.0.1:8080`); tRPC is served under `/trpc` there. */
  url: string;
  /** A fixed bearer token. */
  token?: string;
  /** Asked before every request and every (re)connection of a subscription, for refreshed tokens. */
  getToken?: TokenSource;
  /** Calls per batched request; the API refuses more than its `TRPC_MAX_BATCH_SIZE` (10). */
  maxBatchItems?: number;
  /** The fetch used for every call and subscription (defaults to the global one). */
  fetch?: typeof globalThis.fetch;
}

/** The trpc endpoint under an API origin given with or without a trailing slash. */
export function trpcUrl(url: string): string {
  return `${url.replace(/\/+$/, '')}/trpc`;
}

/**
 * The typed client: queries and mutations batched over HTTP (FormData uploads unbatched), and
 * subscriptions over server-sent events. The `eventsource` ponyfill is used for them in every
 * runtime: the WHATWG EventSource (browsers; Node 24 only behind a flag) cannot send an
 * Authorization header, and the token must never go into a URL. tRPC's subscription link
 * reconnects by itself and resumes after the last tracked event id (`lastEventId`).
 */
export function createZocketClient(options: ZocketClientOptions): ZocketClient {
  const url = trpcUrl(options.url);
  const fixed = options.token;
  const getToken: TokenSource = options.getToken ?? (() => fixed);
  const baseFetch = options.fetch ?? ((input, init) => globalThis.fetch(input, init));
  const headers = async (): Promise<Record<string, string>> => {
    const token = await getToken();
    return token === null || token === undefined || token === ''
      ? {}
      : { authorization: `Bearer ${token}` };
  };
  const fetch = options.fetch;
  return createTRPCClient<AppRouter>({
    links: [
      splitLink({
        condition: (op) => op.type === 'subscription',
        true: httpSubscriptionLink({
          url,
          EventSource: EventSourcePonyfill,
          eventSourceOptions: async () => {
            const auth = await headers();
            return {
              fetch: (input, init) =>
                baseFetch(input, { ...init, headers: { ...init?.headers, ...auth } }),
            };
          },
        }),
        false: splitLink({
          condition: (op) => isNonJsonSerializable(op.input),
          true: httpLink({ url, headers, ...(fetch === undefined ? {} : { fetch }) }),
          false: httpBatchLink({
            url,
            headers,
            maxItems: options.maxBatchItems ?? 10,
            ...(fetch === undefined ? {} : { fetch }),
          }),
        }),
      }),
    ],
  });
}

/** The client typed by the API's router: `client.products.byId.query({ id })`. */
export type ZocketClient = TRPCClient<AppRouter>;
