import { type QueryClient, useQuery, useQueryClient } from '@tanstack/react-query';
import type { ImageChange, Product } from '@zocket/contracts';
import { useCallback, useEffect, useRef, useState } from 'react';
import { useApi } from '../api/api-context';
import { overlayStreamed, type StreamedImages, withImage } from '../api/image-overlay';
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

function applyChange(queryClient: QueryClient, streamed: StreamedImages, change: ImageChange) {
  streamed.set(change.imageId, change.image);
  queryClient.setQueryData<Product>(keys.product(change.productId), (product) =>
    product === undefined ? product : withImage(product, change.imageId, change.image),
  );
}

/**
 * The product, kept current without reloading through `products.onChange`; while that stream is
 * down, by refetching `byId` every 2 s when an image is pending or processing (10 s otherwise).
 */
export function useLiveProduct(id: string) {
  const api = useApi();
  const queryClient = useQueryClient();
  const [mode, setMode] = useState<LiveMode>('connecting');
  const streamed = useRef<StreamedImages>(new Map());

  useEffect(() => {
    setMode('connecting');
    streamed.current = new Map();
    // The link reconnects by itself, resuming after the last tracked event id it saw.
    const subscription = api.products.onChange.subscribe(
      { productId: id },
      {
        onConnectionStateChange: ({ state, error }) => {
          if (state === 'pending') return setMode('live');
          if (state !== 'connecting' || error === null) return;
          // Refetches speak for the images until the stream sends their current state again.
          streamed.current.clear();
          setMode('reconnecting');
        },
        onData: ({ data }) => {
          setMode('live');
          applyChange(queryClient, streamed.current, data);
        },
        onError: () => {
          streamed.current.clear();
          setMode('offline');
        },
      },
    );
    return () => subscription.unsubscribe();
  }, [api, id, queryClient]);

  const select = useCallback((product: Product) => overlayStreamed(product, streamed.current), []);
  const query = useQuery({
    queryKey: keys.product(id),
    queryFn: ({ signal }) => api.products.byId.query({ id }, { signal }),
    select,
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
