// The README's typed client example, compiled and used by the system test.
import {
  createTRPCClient,
  httpBatchLink,
  httpLink,
  isNonJsonSerializable,
  splitLink,
} from '@trpc/client';
import type { AppRouter } from '@zocket/api';

export function createZocketClient(apiUrl: string, token: string) {
  const headers = () => ({ authorization: `Bearer ${token}` });
  return createTRPCClient<AppRouter>({
    links: [
      splitLink({
        condition: (op) => isNonJsonSerializable(op.input), // FormData uploads
        true: httpLink({ url: `${apiUrl}/trpc`, headers }),
        false: httpBatchLink({ url: `${apiUrl}/trpc`, headers, maxItems: 10 }), // TRPC_MAX_BATCH_SIZE
      }),
    ],
  });
}

// const zocket = createZocketClient('http://127.0.0.1:8080', token);
// const mug = await zocket.products.create.mutate({ name: 'Mug', price: { amountMinor: 1999, currency: 'EUR' }, imageUrls: [] });
// const { compressedProductImages } = await zocket.products.byId.query({ id: mug.id });
