import type { Product, ProductPage } from '@zocket/contracts';

/** Query keys in one place, so a write can invalidate exactly what it changed. */
export const keys = {
  products: ['products'] as const,
  list: (filters: Record<string, unknown>) => ['products', 'list', filters] as const,
  product: (id: string) => ['products', 'byId', id] as const,
  bulkJobs: ['bulk', 'list'] as const,
  bulkJob: (id: string) => ['bulk', 'get', id] as const,
  dlqCount: ['bulk', 'dlqCount'] as const,
};

export type { Product, ProductPage };
