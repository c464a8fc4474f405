import type { Product } from '@zocket/client';
import { ProductPicture } from '@zocket/client/react';
import { type FormEvent, useState } from 'react';
import { useClient } from './client-context';
import { Link, navigate } from './navigation';
import {
  formatPrice,
  fromMinor,
  type GridFilters,
  gridHref,
  PAGE_SIZE,
  productHref,
  toMinor,
} from './routes';
import { problemText, useLoad } from './use-query';

/** The card's width at each viewport width (see .grid in styles.css). */
export const CARD_SIZES =
  '(min-width: 1100px) 260px, (min-width: 1024px) 24vw, (min-width: 640px) 32vw, 47vw';
/** Cards in the first row of the narrowest layout: likely the largest paint, so fetched first. */
const PRIORITY_CARDS = 2;

function Filters(props: { filters: GridFilters }) {
  const { filters } = props;
  const [currency, setCurrency] = useState(filters.currency ?? '');
  const priceCurrency = currency === '' ? 'EUR' : currency;
  const [name, setName] = useState(filters.name ?? '');
  const [min, setMin] = useState(fromMinor(filters.minPrice, priceCurrency));
  const [max, setMax] = useState(fromMinor(filters.maxPrice, priceCurrency));
  const onSubmit = (event: FormEvent) => {
    event.preventDefault();
    const next: GridFilters = {};
    if (name.trim() !== '') next.name = name.trim();
    const minPrice = toMinor(min, priceCurrency);
    if (minPrice !== undefined) next.minPrice = minPrice;
    const maxPrice = toMinor(max, priceCurrency);
    if (maxPrice !== undefined) next.maxPrice = maxPrice;
    if (currency !== '') next.currency = currency;
    navigate(gridHref(next));
  };
  return (
    <form className="filters" onSubmit={onSubmit} aria-label="Filter products">
      <label>
        Name
        <input type="search" value={name} onChange={(e) => setName(e.target.value)} />
      </label>
      <label>
        Min price
        <input inputMode="decimal" value={min} onChange={(e) => setMin(e.target.value)} />
      </label>
      <label>
        Max price
        <input inputMode="decimal" value={max} onChange={(e) => setMax(e.target.value)} />
      </label>
      <label>
        Currency
        <select value={currency} onChange={(e) => setCurrency(e.target.value)}>
          <option value="">any</option>
          <option value="EUR">EUR</option>
          <option value="USD">USD</option>
          <option value="GBP">GBP</option>
        </select>
      </label>
      <button type="submit">Filter</button>
    </form>
  );
}

function Card(props: { product: Product; index: number }) {
  const { product } = props;
  const image = product.images[0];
  return (
    <li className="card" data-testid="product-card">
      <Link href={productHref(product.id)} className="card-link">
        <div className="card-media">
          {image === undefined ? null : (
            <ProductPicture
              image={image}
              sizes={CARD_SIZES}
              aspect="1:1"
              alt={product.name}
              priority={props.index < PRIORITY_CARDS}
              data-testid="card-image"
            />
          )}
        </div>
        <span className="card-name">{product.name}</span>
        <span className="card-price">{formatPrice(product.price)}</span>
      </Link>
    </li>
  );
}

export function GridPage(props: { filters: GridFilters }) {
  const client = useClient();
  const { filters } = props;
  const page = useLoad(gridHref(filters), (signal) =>
    client.products.list.query({ ...filters, limit: PAGE_SIZE }, { signal }),
  );
  return (
    <>
      <Filters key={gridHref({ ...filters, cursor: undefined })} filters={filters} />
      {page.state === 'loading' ? (
        <p className="note" aria-live="polite">
          Loading products…
        </p>
      ) : page.state === 'error' ? (
        <p className="note error" role="alert">
          {problemText(page.error)}
        </p>
      ) : page.data.items.length === 0 ? (
        <p className="note">No products match.</p>
      ) : (
        <>
          <ul className="grid" aria-label="Products">
            {page.data.items.map((product, index) => (
              <Card key={product.id} product={product} index={index} />
            ))}
          </ul>
          <nav className="pager" aria-label="Pages">
            {filters.cursor === undefined ? (
              <span />
            ) : (
              <Link href={gridHref({ ...filters, cursor: undefined })}>← First page</Link>
            )}
            {page.data.nextCursor === null ? null : (
              <Link href={gridHref({ ...filters, cursor: page.data.nextCursor })}>Next page →</Link>
            )}
          </nav>
        </>
      )}
    </>
  );
}
