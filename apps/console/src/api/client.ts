import {
  createTRPCClient,
  httpBatchLink,
  httpLink,
  httpSubscriptionLink,
  isNonJsonSerializable,
  splitLink,
} from '@trpc/client';
import type { AppRouter } from '@zocket/api';
import { EventSource } from 'eventsource';

/** The API is the page's own origin: it serves the console (and Vite proxies to it in dev). */
export const apiOrigin = (): string => window.location.origin;

/**
 * The typed client. Queries and mutations go batched over HTTP; subscriptions over SSE through
 * the `eventsource` ponyfill, which (unlike the browser's EventSource) can send the
 * Authorization header, so the token never goes into a URL.
 */
export function createApiClient(token: () => string | null) {
  const url = `${apiOrigin()}/trpc`;
  const headers = (): Record<string, string> => {
    const t = token();
    return t === null ? {} : { authorization: `Bearer ${t}` };
  };
  return createTRPCClient<AppRouter>({
    links: [
      splitLink({
        condition: (op) => op.type === 'subscription',
        true: httpSubscriptionLink({
          url,
          EventSource,
          eventSourceOptions: () => ({
            fetch: (input, init) =>
              fetch(input, { ...init, headers: { ...init?.headers, ...headers() } }),
          }),
        }),
        false: splitLink({
          condition: (op) => isNonJsonSerializable(op.input),
          true: httpLink({ url, headers }),
          // TRPC_MAX_BATCH_SIZE defaults to 10 on the API.
          false: httpBatchLink({ url, headers, maxItems: 10 }),
        }),
      }),
    ],
  });
}

export type ApiClient = ReturnType<typeof createApiClient>;
