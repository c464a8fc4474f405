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
 * The product, kept current without reloading: through `products.onChange` when the API has it,
 * otherwise by refetching `byId` every 2 s while an image is pending or processing (every 10 s
 * when none is).
 */
export function useLiveProduct(id: string) {
  const api = useApi();
  const queryClient = useQueryClient();
  const [mode, setMode] = useState<LiveMode>('connecting');

  useEffect(() => {
    // The link reconnects by itself, resuming after the last tracked event id it saw.
    let subscription: { unsubscribe(): void } | undefined;
    subscription = pendingApi(api).products.onChange.subscribe(
      { productId: id },
      {
        onConnectionStateChange: ({ state, error }) => {
          if (state === 'pending') return setMode('live');
          if (state !== 'connecting' || error === null || error === undefined) return;
          if (describeProblem(error).kind === 'missing-procedure') {
            subscription?.unsubscribe();
            setMode('polling');
          } else {
            setMode('reconnecting');
          }
        },
        onData: ({ data }) => {
          setMode('live');
          applyChange(queryClient, data);
        },
        // A failure the link does not retry (refused token, bad input): poll from now on.
        onError: () => setMode('polling'),
      },
    );
    return () => subscription?.unsubscribe();
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
