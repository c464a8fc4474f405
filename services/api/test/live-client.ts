import {
  createTRPCClient,
  httpBatchLink,
  httpSubscriptionLink,
  splitLink,
  type TRPCClientError,
} from '@trpc/client';
import type { ImageChange } from '@zocket/contracts';
import { EventSource } from 'eventsource';
import type { AppRouter } from '../src/index.js';
import { waitFor } from './api-world.js';

/** A typed client whose subscriptions go over SSE with the bearer token in a header. */
export function liveClient(baseUrl: string, token?: string) {
  const headers = (): Record<string, string> =>
    token === undefined ? {} : { authorization: `Bearer ${token}` };
  return createTRPCClient<AppRouter>({
    links: [
      splitLink({
        condition: (op) => op.type === 'subscription',
        true: httpSubscriptionLink({
          url: `${baseUrl}/trpc`,
          EventSource,
          eventSourceOptions: () => ({
            fetch: (input, init) =>
              fetch(input, { ...init, headers: { ...init?.headers, ...headers() } }),
          }),
        }),
        false: httpBatchLink({ url: `${baseUrl}/trpc`, headers }),
      }),
    ],
  });
}

export interface Watch {
  events: { id: string; change: ImageChange }[];
  errors: TRPCClientError<AppRouter>[];
  /** Waits for an event matching `match` (among all received so far). */
  until(match: (c: ImageChange) => boolean, what: string, timeoutMs?: number): Promise<ImageChange>;
  /** Ids received more than once. */
  duplicates(): string[];
  stop(): void;
}

/** Subscribes to a product's changes and records every event. */
export function watchProduct(
  client: ReturnType<typeof liveClient>,
  productId: string,
  lastEventId?: string,
): Watch {
  const events: Watch['events'] = [];
  const errors: Watch['errors'] = [];
  const sub = client.products.onChange.subscribe(
    { productId, ...(lastEventId === undefined ? {} : { lastEventId }) },
    {
      onData: (event) => events.push({ id: event.id, change: event.data }),
      onError: (error) => errors.push(error),
    },
  );
  return {
    events,
    errors,
    until: (match, what, timeoutMs = 10_000) =>
      waitFor(() => events.find((e) => match(e.change))?.change, {
        timeoutMs,
        intervalMs: 20,
        what,
      }),
    duplicates: () => {
      const seen = new Set<string>();
      return events.map((e) => e.id).filter((id) => seen.has(id) || !seen.add(id));
    },
    stop: () => sub.unsubscribe(),
  };
}
