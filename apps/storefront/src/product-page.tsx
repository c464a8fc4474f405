import type { ImageChange, Product, ProductImage } from '@zocket/client';
import { ProductPicture } from '@zocket/client/react';
import { useEffect, useState } from 'react';
import { useClient } from './client-context';
import { Link } from './navigation';
import { BASE, formatPrice } from './routes';
import { problemText, useLoad } from './use-query';

type Live = 'connecting' | 'live' | 'reconnecting' | 'stopped';

const STATUS_TEXT: Record<ProductImage['status'], string> = {
  pending: 'waiting to be processed',
  processing: 'processing',
  ready: 'ready',
  failed: 'failed',
};

/** The images of `product` with the changes streamed since it was read applied. */
export function applyChanges(images: readonly ProductImage[], changes: Map<string, ImageChange>) {
  const byId = new Map(images.map((i) => [i.id, i]));
  for (const change of changes.values()) {
    if (change.image === null) byId.delete(change.imageId);
    else byId.set(change.imageId, change.image);
  }
  return [...byId.values()].sort((a, b) => a.position - b.position);
}

/** Every change of the product's images from `products.onChange`, newest per image. */
function useImageChanges(productId: string) {
  const client = useClient();
  const [changes, setChanges] = useState(() => new Map<string, ImageChange>());
  const [live, setLive] = useState<Live>('connecting');
  useEffect(() => {
    const sub = client.products.onChange.subscribe(
      { productId },
      {
        onStarted: () => setLive('live'),
        onConnectionStateChange: ({ state, error }) => {
          if (state === 'pending') setLive('live');
          else if (state === 'connecting' && error !== null) setLive('reconnecting');
        },
        onData: ({ data }) => {
          setLive('live');
          setChanges((all) => new Map(all).set(data.imageId, data));
        },
        onError: () => setLive('stopped'),
      },
    );
    return () => sub.unsubscribe();
  }, [client, productId]);
  return { changes, live };
}

function Gallery(props: { product: Product; images: ProductImage[] }) {
  const [selected, setSelected] = useState(0);
  const main = props.images[Math.min(selected, props.images.length - 1)];
  return (
    <div className="gallery">
      <div className="gallery-main">
        {main === undefined ? (
          <div className="no-image">No pictures yet.</div>
        ) : (
          <ProductPicture
            key={main.id}
            image={main}
            sizes="(min-width: 768px) 560px, 100vw"
            alt={props.product.name}
            priority
            data-testid="product-image"
          />
        )}
      </div>
      <ul className="image-status" aria-label="Pictures">
        {props.images.map((image, i) => (
          <li key={image.id} data-testid="image-status" data-status={image.status}>
            <button
              type="button"
              aria-pressed={i === selected}
              onClick={() => setSelected(i)}
              className="thumb-button"
            >
              <span className="thumb-box">
                <ProductPicture image={image} sizes="64px" aspect="1:1" alt="" />
              </span>
              <span className={`status status-${image.status}`}>{STATUS_TEXT[image.status]}</span>
            </button>
          </li>
        ))}
      </ul>
    </div>
  );
}

export function ProductPage(props: { id: string }) {
  const client = useClient();
  const product = useLoad(props.id, (signal) =>
    client.products.byId.query({ id: props.id }, { signal }),
  );
  const { changes, live } = useImageChanges(props.id);
  return (
    <article className="product">
      <Link href={BASE} className="back">
        ← All products
      </Link>
      {product.state === 'loading' ? (
        <p className="note">Loading…</p>
      ) : product.state === 'error' ? (
        <p className="note error" role="alert">
          {problemText(product.error)}
        </p>
      ) : (
        <>
          <Gallery product={product.data} images={applyChanges(product.data.images, changes)} />
          <div className="details">
            <h1>{product.data.name}</h1>
            <p className="price">{formatPrice(product.data.price)}</p>
            {product.data.description === '' ? null : <p>{product.data.description}</p>}
            <p className={`live live-${live}`} data-testid="live-status">
              {live === 'live'
                ? 'Picture status is live'
                : live === 'reconnecting'
                  ? 'Reconnecting…'
                  : live === 'connecting'
                    ? 'Connecting…'
                    : 'Picture status is not updating'}
            </p>
          </div>
        </>
      )}
    </article>
  );
}
