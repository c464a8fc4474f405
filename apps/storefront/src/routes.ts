/** What the shop shows: the grid (with its filters and page) or one product. */
export type Route = { page: 'grid'; filters: GridFilters } | { page: 'product'; id: string };

export interface GridFilters {
  name?: string;
  /** Minor units, as the API takes them. */
  minPrice?: number;
  maxPrice?: number;
  currency?: string;
  cursor?: string;
}

export const BASE = '/shop/';
/** Cards per page: four rows of the widest layout. */
export const PAGE_SIZE = 24;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function positiveInt(value: string | null): number | undefined {
  if (value === null || !/^\d+$/.test(value)) return undefined;
  const n = Number(value);
  return Number.isSafeInteger(n) ? n : undefined;
}

/** The route of a location under /shop/ (anything unknown is the grid). */
export function parseRoute(pathname: string, search: string): Route {
  const path = pathname.startsWith(BASE) ? pathname.slice(BASE.length) : '';
  const product = /^p\/([^/]+)\/?$/.exec(path);
  if (product?.[1] !== undefined && UUID.test(product[1])) {
    return { page: 'product', id: product[1] };
  }
  const params = new URLSearchParams(search);
  const filters: GridFilters = {};
  const name = params.get('name')?.trim();
  if (name) filters.name = name;
  const minPrice = positiveInt(params.get('minPrice'));
  if (minPrice !== undefined) filters.minPrice = minPrice;
  const maxPrice = positiveInt(params.get('maxPrice'));
  if (maxPrice !== undefined) filters.maxPrice = maxPrice;
  const currency = params.get('currency')?.toUpperCase();
  if (currency !== undefined && /^[A-Z]{3}$/.test(currency)) filters.currency = currency;
  const cursor = params.get('cursor');
  if (cursor) filters.cursor = cursor;
  return { page: 'grid', filters };
}

/** The URL of the grid with these filters (and page). */
export function gridHref(filters: GridFilters): string {
  const params = new URLSearchParams();
  if (filters.name !== undefined) params.set('name', filters.name);
  if (filters.minPrice !== undefined) params.set('minPrice', String(filters.minPrice));
  if (filters.maxPrice !== undefined) params.set('maxPrice', String(filters.maxPrice));
  if (filters.currency !== undefined) params.set('currency', filters.currency);
  if (filters.cursor !== undefined) params.set('cursor', filters.cursor);
  const query = params.toString();
  return query === '' ? BASE : `${BASE}?${query}`;
}

export function productHref(id: string): string {
  return `${BASE}p/${id}`;
}

/** Digits after the decimal point of a currency (2 for EUR, 0 for JPY). */
export function currencyDigits(currency: string): number {
  try {
    return (
      new Intl.NumberFormat('en', { style: 'currency', currency }).resolvedOptions()
        .maximumFractionDigits ?? 2
    );
  } catch {
    return 2;
  }
}

/** "12.50" in `currency` -> 1250 minor units; undefined for an empty or invalid amount. */
export function toMinor(text: string, currency: string): number | undefined {
  const trimmed = text.trim().replace(',', '.');
  if (trimmed === '' || !/^\d+(\.\d+)?$/.test(trimmed)) return undefined;
  return Math.round(Number(trimmed) * 10 ** currencyDigits(currency));
}

/** 1250 minor units -> "12.5" for a price input. */
export function fromMinor(minor: number | undefined, currency: string): string {
  if (minor === undefined) return '';
  return String(minor / 10 ** currencyDigits(currency));
}

export function formatPrice(price: { amountMinor: number; currency: string }): string {
  const digits = currencyDigits(price.currency);
  return new Intl.NumberFormat('en', { style: 'currency', currency: price.currency }).format(
    price.amountMinor / 10 ** digits,
  );
}
