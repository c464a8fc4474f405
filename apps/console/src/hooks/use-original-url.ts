import type { ProductImage } from '@zocket/contracts';
import { useEffect, useState } from 'react';
import { apiOrigin } from '../api/client';
import { useSession } from '../auth/session-context';

export type OriginalState =
  | { kind: 'url'; url: string }
  | { kind: 'loading' }
  | { kind: 'private' }
  | { kind: 'error'; message: string };

/**
 * Where to show an image's original from. A URL source is its URL; an uploaded original is
 * private to its owner, so it is fetched with the token and shown from a blob: URL.
 */
export function useOriginalUrl(productId: string, image: ProductImage): OriginalState {
  const { session } = useSession();
  const token = session?.token ?? null;
  const source = image.source;
  const [state, setState] = useState<OriginalState>(
    source.kind === 'url' ? { kind: 'url', url: source.url } : { kind: 'loading' },
  );
  useEffect(() => {
    if (source.kind === 'url') {
      setState({ kind: 'url', url: source.url });
      return;
    }
    if (token === null) {
      setState({ kind: 'private' });
      return;
    }
    const controller = new AbortController();
    let objectUrl: string | undefined;
    setState({ kind: 'loading' });
    fetch(`${apiOrigin()}/products/${productId}/images/${image.id}/original`, {
      headers: { authorization: `Bearer ${token}` },
      signal: controller.signal,
    })
      .then(async (response) => {
        if (response.status === 404) return setState({ kind: 'private' });
        if (!response.ok) throw new Error(`HTTP ${response.status}`);
        objectUrl = URL.createObjectURL(await response.blob());
        setState({ kind: 'url', url: objectUrl });
      })
      .catch((error: unknown) => {
        if (controller.signal.aborted) return;
        setState({ kind: 'error', message: error instanceof Error ? error.message : 'failed' });
      });
    return () => {
      controller.abort();
      if (objectUrl !== undefined) URL.revokeObjectURL(objectUrl);
    };
  }, [productId, image.id, source, token]);
  return state;
}
