import { type QueryClient, useQuery, useQueryClient } from '@tanstack/react-query';
import type { Product } from '@zocket/contracts';
import { useEffect, useState } from 'react';
import { useApi } from '../api/api-context';
import { describeProblem } from '../api/errors';
import { type ImageChange, pendingApi } from '../api/pending';
import { keys } from '../api/queries';

/** How the page learns about image changes: the stream, or polling while it is unavailable. */
export type LiveMode = 'connecting' | 'live' | 'polling' | 'reconnecting';

const POLL_MS = 2_000;

function applyChange(queryClient: QueryClient, change: ImageChange) {
  queryClient.setQueryData<Product>(keys.product(change.productId), (product) => {
    if (product === undefined) return product;
    const others = product.images.filter((i) => i.id !== change.imageId);
    const images =
      change.image === null
        ? others
        : [...others, change.image].sort((a, b) => a.position - b.position);
    return { ...product, images };
  });
}

/**
 * The product, kept current without reloading: through `products.onChange` when the API has it,
 * otherwise by refetching `byId` every 2 s while an image is pending or processing.
 */
export function useLiveProduct(id: string) {
  const api = useApi();
  const queryClient = useQueryClient();
  const [mode, setMode] = useState<LiveMode>('connecting');

  useEffect(() => {
    let lastEventId: string | undefined;
    let closed = false;
    let retry: ReturnType<typeof setTimeout> | undefined;
    let subscription: { unsubscribe(): void } | undefined;
    const connect = () => {
      subscription = pendingApi(api).products.onChange.subscribe(
        { productId: id, ...(lastEventId === undefined ? {} : { lastEventId }) },
        {
          onStarted: () => setMode('live'),
          onData: ({ id: eventId, data }) => {
            lastEventId = eventId;
            setMode('live');
            applyChange(queryClient, data);
          },
          onError: (error) => {
            subscription?.unsubscribe();
            if (closed) return;
            if (describeProblem(error).kind === 'missing-procedure') {
              setMode('polling');
              return;
            }
            // The stream broke (API restarted, network): poll meanwhile, reconnect from the
            // last event seen.
            setMode('reconnecting');
            retry = setTimeout(connect, POLL_MS);
          },
        },
      );
    };
    connect();
    return () => {
      closed = true;
      clearTimeout(retry);
      subscription?.unsubscribe();
    };
  }, [api, id, queryClient]);

  const query = useQuery({
    queryKey: keys.product(id),
    queryFn: ({ signal }) => api.products.byId.query({ id }, { signal }),
    refetchInterval: (q) => {
      if (mode === 'live' || mode === 'connecting') return false;
      const images = q.state.data?.images ?? [];
      return images.some((i) => i.status === 'pending' || i.status === 'processing')
        ? POLL_MS
        : false;
    },
  });
  return { query, mode };
}
