import { useMutation, useQueryClient } from '@tanstack/react-query';
import type { Product } from '@zocket/contracts';
import { useState } from 'react';
import { useApi } from '../api/api-context';
import { keys } from '../api/queries';
import { useSession } from '../auth/session-context';
import { type LiveMode, useLiveProduct } from '../hooks/use-live-product';
import { formatBytes, formatDate, formatMoney, savingPercent } from '../ui/format';
import { ImageCard } from '../ui/image-card';
import { Link, useRouter } from '../ui/router';
import { Empty, ErrorState, Loading } from '../ui/states';
import { UploadZone } from '../ui/upload-zone';

const LIVE_LABELS: Record<LiveMode, string> = {
  connecting: 'connecting…',
  live: 'live',
  reconnecting: 'stream interrupted, reconnecting…',
  offline: 'stream offline, checking every 2 s',
};

function Totals(props: { product: Product }) {
  let before = 0;
  let after = 0;
  for (const image of props.product.images) {
    if (image.status !== 'ready' || image.bytes === null || image.variants.length === 0) continue;
    const widest = Math.max(...image.variants.map((v) => v.width));
    const smallest = Math.min(
      ...image.variants.filter((v) => v.width === widest).map((v) => v.bytes),
    );
    before += image.bytes;
    after += smallest;
  }
  if (before === 0) return null;
  const saving = savingPercent(before, after);
  return (
    <p className="totals" data-testid="totals">
      Originals {formatBytes(before)} → largest variants {formatBytes(after)}
      {saving === null ? null : <strong> ({saving} % saved)</strong>}
    </p>
  );
}

function Actions(props: { product: Product }) {
  const api = useApi();
  const queryClient = useQueryClient();
  const { navigate } = useRouter();
  const [confirmDelete, setConfirmDelete] = useState(false);
  const reprocess = useMutation({
    mutationFn: () => api.products.reprocess.mutate({ id: props.product.id }),
    onSuccess: (product) => queryClient.setQueryData(keys.product(product.id), product),
  });
  const remove = useMutation({
    mutationFn: () => api.products.delete.mutate({ id: props.product.id }),
    onSuccess: async () => {
      await queryClient.invalidateQueries({ queryKey: keys.products });
      navigate('/');
    },
  });
  return (
    <div className="actions">
      <Link to={`/products/${props.product.id}/edit`} className="button">
        Edit
      </Link>
      <button
        type="button"
        onClick={() => reprocess.mutate()}
        disabled={reprocess.isPending || props.product.images.length === 0}
      >
        {reprocess.isPending ? 'Reprocessing…' : 'Reprocess images'}
      </button>
      {confirmDelete ? (
        <>
          <button
            type="button"
            className="danger"
            onClick={() => remove.mutate()}
            disabled={remove.isPending}
          >
            Delete for good
          </button>
          <button type="button" onClick={() => setConfirmDelete(false)}>
            Keep it
          </button>
        </>
      ) : (
        <button type="button" className="danger-outline" onClick={() => setConfirmDelete(true)}>
          Delete…
        </button>
      )}
      {reprocess.isError ? <ErrorState error={reprocess.error} /> : null}
      {remove.isError ? <ErrorState error={remove.error} /> : null}
    </div>
  );
}

/** One product: its images before and after processing, live. */
export function ProductPage(props: { id: string }) {
  const { session } = useSession();
  const { query, mode } = useLiveProduct(props.id);
  if (query.isPending) return <Loading what="the product" />;
  if (query.isError) {
    return <ErrorState error={query.error} retry={() => void query.refetch()} what="the product" />;
  }
  const product = query.data;
  return (
    <article className="product-page">
      <p className="crumbs">
        <Link to="/">Products</Link> /
      </p>
      <div className="page-head">
        <div>
          <h1>{product.name}</h1>
          <p className="price big">{formatMoney(product.price)}</p>
        </div>
        {session === null ? null : <Actions product={product} />}
      </div>
      {product.description === '' ? null : <p className="description">{product.description}</p>}
      <p className="muted small">
        Version {product.version} · updated {formatDate(product.updatedAt)} · owner{' '}
        <code>{product.ownerId}</code> ·{' '}
        <span className={`live live-${mode}`} data-testid="live-mode">
          {LIVE_LABELS[mode]}
        </span>
      </p>
      <Totals product={product} />
      {session === null ? null : <UploadZone productId={product.id} />}
      <h2>Images</h2>
      {product.images.length === 0 ? (
        <Empty>
          <p>No images yet.{session === null ? '' : ' Drop some files above.'}</p>
        </Empty>
      ) : (
        <div className="image-cards">
          {product.images.map((image) => (
            <ImageCard key={image.id} productId={product.id} image={image} />
          ))}
        </div>
      )}
    </article>
  );
}
