import { keepPreviousData, useQuery } from '@tanstack/react-query';
import type { ListProductsInput, Product } from '@zocket/contracts';
import { type FormEvent, useState } from 'react';
import { useApi } from '../api/api-context';
import { keys } from '../api/queries';
import { useSession } from '../auth/session-context';
import { formatMoney, parseMajorAmount } from '../ui/format';
import { Thumb } from '../ui/images';
import { Link } from '../ui/router';
import { Empty, ErrorState, Loading } from '../ui/states';

type Filters = Omit<ListProductsInput, 'limit' | 'cursor'>;

const PAGE_SIZE = 20;

function FilterForm(props: { onApply: (filters: Filters) => void }) {
  const [name, setName] = useState('');
  const [currency, setCurrency] = useState('');
  const [min, setMin] = useState('');
  const [max, setMax] = useState('');
  const [owner, setOwner] = useState('');
  const [error, setError] = useState<string | null>(null);

  const apply = (event: FormEvent) => {
    event.preventDefault();
    const filters: Filters = {};
    const cur = currency.trim().toUpperCase();
    if (name.trim() !== '') filters.name = name.trim();
    if (cur !== '') filters.currency = cur;
    // Prices are typed in major units of the chosen currency (EUR when none is chosen).
    for (const [text, field] of [
      [min, 'minPrice'],
      [max, 'maxPrice'],
    ] as const) {
      if (text.trim() === '') continue;
      const minor = parseMajorAmount(text, cur === '' ? 'EUR' : cur);
      if (minor === undefined) {
        setError(`${field === 'minPrice' ? 'Minimum' : 'Maximum'} price is not an amount`);
        return;
      }
      filters[field] = minor;
    }
    if (owner.trim() !== '') filters.userId = owner.trim();
    setError(null);
    props.onApply(filters);
  };

  return (
    <form className="filters" onSubmit={apply} aria-label="Filter products">
      <label>
        Name
        <input type="search" value={name} onChange={(e) => setName(e.target.value)} />
      </label>
      <label>
        Currency
        <input
          value={currency}
          onChange={(e) => setCurrency(e.target.value)}
          placeholder="EUR"
          maxLength={3}
          size={4}
        />
      </label>
      <label>
        Min price
        <input inputMode="decimal" value={min} onChange={(e) => setMin(e.target.value)} size={8} />
      </label>
      <label>
        Max price
        <input inputMode="decimal" value={max} onChange={(e) => setMax(e.target.value)} size={8} />
      </label>
      <label>
        Owner id
        <input
          value={owner}
          onChange={(e) => setOwner(e.target.value)}
          placeholder="uuid"
          spellCheck={false}
        />
      </label>
      <button type="submit">Apply</button>
      {error === null ? null : (
        <p className="field-error" role="alert">
          {error}
        </p>
      )}
    </form>
  );
}

function ProductRow(props: { product: Product }) {
  const { product } = props;
  const ready = product.images.filter((i) => i.status === 'ready').length;
  const first = product.images[0];
  return (
    <li className="product-row">
      <Thumb image={first} alt="" />
      <div className="grow">
        <Link to={`/products/${product.id}`} className="product-name">
          {product.name}
        </Link>
        <div className="muted">
          {product.images.length === 0
            ? 'no images'
            : `${ready} of ${product.images.length} images ready`}
        </div>
      </div>
      <div className="price">{formatMoney(product.price)}</div>
    </li>
  );
}

/** The catalogue, newest first, with the API's filters and cursor paging. */
export function ProductsPage() {
  const api = useApi();
  const { session } = useSession();
  const [filters, setFilters] = useState<Filters>({});
  // cursors[i] is the cursor of page i (undefined for the first page).
  const [cursors, setCursors] = useState<(string | undefined)[]>([undefined]);
  const cursor = cursors[cursors.length - 1];
  const list = useQuery({
    queryKey: keys.list({ ...filters, cursor }),
    queryFn: ({ signal }) =>
      api.products.list.query(
        { ...filters, limit: PAGE_SIZE, ...(cursor === undefined ? {} : { cursor }) },
        { signal },
      ),
    placeholderData: keepPreviousData,
  });

  return (
    <section>
      <div className="page-head">
        <h1>Products</h1>
        {session === null ? (
          <Link to="/sign-in" className="button">
            Sign in to add products
          </Link>
        ) : (
          <Link to="/products/new" className="button primary">
            New product
          </Link>
        )}
      </div>
      <FilterForm
        onApply={(next) => {
          setFilters(next);
          setCursors([undefined]);
        }}
      />
      {list.isPending ? (
        <Loading what="products" />
      ) : list.isError ? (
        <ErrorState error={list.error} retry={() => void list.refetch()} what="products" />
      ) : list.data.items.length === 0 ? (
        <Empty>
          {Object.keys(filters).length > 0 || cursors.length > 1 ? (
            <p>No product matches these filters.</p>
          ) : (
            <p>
              The catalogue is empty.{' '}
              {session === null ? 'Sign in to create the first product.' : 'Create the first one.'}
            </p>
          )}
        </Empty>
      ) : (
        <>
          <ul className="product-list" aria-busy={list.isFetching}>
            {list.data.items.map((p) => (
              <ProductRow key={p.id} product={p} />
            ))}
          </ul>
          <nav className="pager" aria-label="Pages">
            <button
              type="button"
              disabled={cursors.length === 1}
              onClick={() => setCursors((c) => c.slice(0, -1))}
            >
              ← Previous
            </button>
            <span className="muted">Page {cursors.length}</span>
            <button
              type="button"
              disabled={list.data.nextCursor === null}
              onClick={() => {
                const next = list.data.nextCursor;
                if (next !== null) setCursors((c) => [...c, next]);
              }}
            >
              Next →
            </button>
          </nav>
        </>
      )}
    </section>
  );
}
