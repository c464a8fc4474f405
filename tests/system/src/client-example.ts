// The README's typed client example, compiled and used by the system test.
import {
  createZocketClient,
  type ProductImage,
  uploadImage,
  type ZocketClient,
} from '@zocket/client';

export { createZocketClient, uploadImage, uploadImagesMultipart } from '@zocket/client';

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

/** The example as a frontend writes it (`file` from an `<input type="file">`). */
export async function example(token: string, file: File, onProgress: (f: number) => void) {
  const zocket = createZocketClient({ url: 'http://127.0.0.1:8080', token });
  const mug = await zocket.products.create.mutate({
    name: 'Mug',
    price: { amountMinor: 1999, currency: 'EUR' },
  });
  await uploadImage(zocket, mug.id, file, { onProgress }); // presigned PUT straight to S3
  return whenReady(zocket, mug.id, 1); // live, no polling
}
