// The README's typed client example, compiled and used by the system test.
import {
  createTRPCClient,
  httpBatchLink,
  httpLink,
  httpSubscriptionLink,
  isNonJsonSerializable,
  splitLink,
} from '@trpc/client';
import type { AppRouter } from '@zocket/api';
import type { ProductImage } from '@zocket/contracts';
import { EventSource } from 'eventsource'; // Node 20 has none; browsers can use it too (headers)

export function createZocketClient(apiUrl: string, token: string) {
  const headers = () => ({ authorization: `Bearer ${token}` });
  return createTRPCClient<AppRouter>({
    links: [
      splitLink({
        // Subscriptions over SSE; the token goes in a header, never in the URL.
        condition: (op) => op.type === 'subscription',
        true: httpSubscriptionLink({
          url: `${apiUrl}/trpc`,
          EventSource,
          eventSourceOptions: () => ({
            fetch: (input, init) =>
              fetch(input, { ...init, headers: { ...init?.headers, ...headers() } }),
          }),
        }),
        false: splitLink({
          condition: (op) => isNonJsonSerializable(op.input), // FormData uploads
          true: httpLink({ url: `${apiUrl}/trpc`, headers }),
          false: httpBatchLink({ url: `${apiUrl}/trpc`, headers, maxItems: 10 }), // TRPC_MAX_BATCH_SIZE
        }),
      }),
    ],
  });
}
export type ZocketClient = ReturnType<typeof createZocketClient>;

/** Uploads a file straight to S3 with a presigned PUT, then adds it to the product. */
export async function uploadImage(zocket: ZocketClient, productId: string, file: Blob) {
  const upload = await zocket.products.createUpload.mutate({
    productId,
    contentType: file.type,
    contentLength: file.size,
  });
  const put = await fetch(upload.url, {
    method: upload.method,
    headers: upload.headers,
    body: file,
  });
  if (!put.ok) throw new Error(`upload refused by S3: ${put.status}`);
  return zocket.products.completeUpload.mutate({ uploadId: upload.uploadId });
}

/** Resolves with the images once `count` of them are ready; rejects when one fails. */
export function whenReady(zocket: ZocketClient, productId: string, count: number) {
  return new Promise<ProductImage[]>((resolve, reject) => {
    const images = new Map<string, ProductImage>();
    const sub = zocket.products.onChange.subscribe(
      { productId },
      {
        onData: ({ data: change }) => {
          if (change.image === null) images.delete(change.imageId);
          else images.set(change.imageId, change.image);
          const all = [...images.values()];
          const failed = all.find((i) => i.status === 'failed');
          if (failed !== undefined) {
            sub.unsubscribe();
            reject(new Error(`image failed: ${failed.failureReason}`));
          } else if (all.length === count && all.every((i) => i.status === 'ready')) {
            sub.unsubscribe();
            resolve(all.sort((a, b) => a.position - b.position));
          }
        },
        onError: reject,
      },
    );
  });
}

// const zocket = createZocketClient('http://127.0.0.1:8080', token);
// const mug = await zocket.products.create.mutate({ name: 'Mug', price: { amountMinor: 1999, currency: 'EUR' }, imageUrls: [] });
// await uploadImage(zocket, mug.id, file);                  // a File from <input type="file">
// const images = await whenReady(zocket, mug.id, 1);        // live, no polling
