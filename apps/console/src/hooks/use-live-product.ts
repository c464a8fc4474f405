import { type QueryClient, useQuery, useQueryClient } from '@tanstack/react-query';
import type { ImageChange, Product } from '@zocket/contracts';
import { useEffect, useState } from 'react';
import { useApi } from '../api/api-context';
import { keys } from '../api/queries';

/**
 * How the page learns about image changes: `live` through the stream; `reconnecting` while the
 * link retries a lost stream by itself; `offline` once the stream failed for good (refused token,
 * API gone). While not live the product is refetched, so nothing waits for the stream.
 */
export type LiveMode = 'connecting' | 'live' | 'reconnecting' | 'offline';

const POLL_MS = 2_000;
/** Without the stream, images added elsewhere (another tab, the API) still show up this soon. */
const IDLE_POLL_MS = 10_000;

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
 * The product, kept current without reloading through `products.onChange`; while that stream is
 * down, by refetching `byId` every 2 s when an image is pending or processing (10 s otherwise).
 */
export function useLiveProduct(id: string) {
  const api = useApi();
  const queryClient = useQueryClient();
  const [mode, setMode] = useState<LiveMode>('connecting');

  useEffect(() => {
    setMode('connecting');
    // The link reconnects by itself, resuming after the last tracked event id it saw.
    const subscription = api.products.onChange.subscribe(
      { productId: id },
      {
        onConnectionStateChange: ({ state, error }) => {
          if (state === 'pending') return setMode('live');
          if (state === 'connecting' && error !== null) setMode('reconnecting');
        },
        onData: ({ data }) => {
          setMode('live');
          applyChange(queryClient, data);
        },
        onError: () => setMode('offline'),
      },
    );
    return () => subscription.unsubscribe();
  }, [api, id, queryClient]);

  const query = useQuery({
    queryKey: keys.product(id),
    queryFn: ({ signal }) => api.products.byId.query({ id }, { signal }),
    refetchInterval: (q) => {
      if (mode === 'live' || mode === 'connecting') return false;
      const images = q.state.data?.images ?? [];
      return images.some((i) => i.status === 'pending' || i.status === 'processing')
        ? POLL_MS
        : IDLE_POLL_MS;
    },
  });
  return { query, mode };
}
