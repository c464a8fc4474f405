import { bulkRouter } from '../bulk/bulk.router.js';
import { productsRouter } from '../products/products.router.js';
import { router } from './trpc.js';

export const appRouter = router({ products: productsRouter, bulk: bulkRouter });

/** The type a TypeScript client imports: `createTRPCClient<AppRouter>(...)`. */
export type AppRouter = typeof appRouter;
