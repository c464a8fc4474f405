import { describe, expect, it } from 'vitest';
import { formatPrice, gridHref, parseRoute, productHref, toMinor } from '../src/routes';

describe('the storefront routes', () => {
  it('reads the grid filters and page from the query and writes them back', () => {
    const route = parseRoute(
      '/shop/',
      '?name=mug&minPrice=1000&maxPrice=5000&currency=eur&cursor=abc',
    );
    expect(route).toEqual({
      page: 'grid',
      filters: { name: 'mug', minPrice: 1000, maxPrice: 5000, currency: 'EUR', cursor: 'abc' },
    });
    if (route.page !== 'grid') throw new Error('not the grid');
    expect(gridHref(route.filters)).toBe(
      '/shop/?name=mug&minPrice=1000&maxPrice=5000&currency=EUR&cursor=abc',
    );
    expect(gridHref({})).toBe('/shop/');
  });

  it('drops filters that are not valid rather than sending them to the API', () => {
    expect(parseRoute('/shop/', '?minPrice=-3&maxPrice=abc&currency=EURO&name=%20')).toEqual({
      page: 'grid',
      filters: {},
    });
  });

  it('routes a product path with a UUID to the product page and anything else to the grid', () => {
    const id = '7c0e2a5e-0000-4000-8000-000000000000';
    expect(parseRoute(productHref(id), '')).toEqual({ page: 'product', id });
    expect(parseRoute('/shop/p/not-a-uuid', '').page).toBe('grid');
    expect(parseRoute('/elsewhere', '').page).toBe('grid');
  });

  it('converts prices between the input and minor units by the currency', () => {
    expect(toMinor('12.5', 'EUR')).toBe(1250);
    expect(toMinor('12,50', 'EUR')).toBe(1250);
    expect(toMinor('1200', 'JPY')).toBe(1200);
    expect(toMinor('', 'EUR')).toBeUndefined();
    expect(toMinor('-1', 'EUR')).toBeUndefined();
    expect(formatPrice({ amountMinor: 1999, currency: 'EUR' })).toBe('€19.99');
  });
});
